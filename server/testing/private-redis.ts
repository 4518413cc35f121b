// A redis-server of the test's own, on a free loopback port, for the cases that would disturb
// anyone else's Redis: DEBUG SLEEP, CONFIG SET maxmemory. Never persisted; stopped by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { IN_CI, whyRedisIsDown } from './redis.ts';

export const REDIS_SERVER_BINARY = process.env.REDIS_SERVER_BINARY ?? '/usr/bin/redis-server';

export interface PrivateRedis {
  url: string;
  /** Stops this redis-server (only the process this helper started). */
  stop(): Promise<void>;
}

/** A TCP port free on loopback now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Why `suite` cannot start a redis-server of its own here (it is then skipped, with a warning),
 * or undefined when it can. Under CI=true a missing binary fails the run instead.
 */
export function privateRedisUnavailableFor(suite: string): string | undefined {
  if (existsSync(REDIS_SERVER_BINARY)) return undefined;
  const why = `${REDIS_SERVER_BINARY} does not exist`;
  if (IN_CI) throw new Error(`CI=true: the ${suite} must run, but ${why}. Install redis-server or set REDIS_SERVER_BINARY.`);
  console.warn(`Skipping the ${suite}: ${why}. Install redis-server (or set REDIS_SERVER_BINARY) to run it.`);
  return why;
}

/**
 * Starts a redis-server with no persistence and the DEBUG command allowed from loopback, and
 * waits until it answers.
 *
 * @example
 * const redis = await startPrivateRedis();
 * const client = createClient({ url: redis.url });
 * // … CONFIG SET maxmemory, DEBUG SLEEP …
 * await redis.stop();
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    REDIS_SERVER_BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while ((await whyRedisIsDown(url)) !== undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start (exit code ${String(child.exitCode)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
