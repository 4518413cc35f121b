// Starts the demo server (the same entry as `npm run demo`) on a free port with a short schedule.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertBuilt } from './built.ts';

export interface RunningDemo {
  origin: string;
  output: () => string;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export async function startDemoServer(env: Record<string, string> = {}): Promise<RunningDemo> {
  await assertBuilt(['dist/idle-logout.iife.js']);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', IDLE_TIMEOUT_MS: '6000', WARNING_MS: '3000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo server did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /on (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo server exited with ${code}:\n${output}`));
    });
  });
  return {
    origin,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
