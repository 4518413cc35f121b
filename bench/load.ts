/**
 * What bench/server.ts and bench/profile-server.ts share: starting a server target in its own
 * process, and the requests a row sends to it (autocannon options, one checked request by hand).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import autocannon from 'autocannon';
import { BACKGROUND_HEADER, DEFAULT_BASE_PATH, KEEPALIVE_PATH, encodeKeepaliveBody } from '../protocol/index.ts';
import { APP_PATH, type BenchTargetName } from './server-targets.ts';

export const connections = 32;
export const keepaliveBody = encodeKeepaliveBody(0);
export const keepalivePath = DEFAULT_BASE_PATH + KEEPALIVE_PATH;

/** What a row sends: the keepalive, an ordinary app GET (activity), or the same GET marked background. */
export type RequestKind = 'keepalive' | 'get' | 'background';

export interface RowSpec {
  name: string;
  target: BenchTargetName;
  request: RequestKind;
  /** Each request carries a random one of the many sessions' cookies (else the one it signed in with). */
  randomSessions: boolean;
  /**
   * The bare row this one is compared with, the least ratio wanted (issue I; none for a floor row,
   * shown only), and the floor row it also runs head to head with: the least any session
   * middleware does for the same request on this machine.
   */
  versus?: { bare: string; wanted?: number; floor?: string };
}

const benchDir = new URL('.', import.meta.url);
// In this checkout (git-ignored), so that the compiled file finds the packages it leaves external
// in the checkout's node_modules. Not under node_modules itself: a worktree that links its
// node_modules to another checkout's would share the compiled files with it, and Node would run
// them by their real path, which then no longer matches the path the child was started with (the
// check that the script is the main module, bench/server-targets.ts and bench/child.ts).
export const compiledDir = fileURLToPath(new URL('../.bench-build/', import.meta.url));
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Runs a bench's `main`, then exits (0, or 1 with the error), never leaving a child behind. */
export function runParent(main: () => Promise<void>): void {
  main().then(
    () => {
      killChildren();
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      killChildren();
      process.exit(1);
    },
  );
}

/**
 * A bench script compiled as an app would ship it: bundled with our sources, packages left to
 * node_modules, plain JavaScript with a source map. Not run through tsx: tsx compiles with esbuild's
 * `keepNames`, which wraps every function created at run time in `__name(fn, "name")` (an
 * `Object.defineProperty`), so a request that makes a few closures pays for them on every call —
 * 85 µs of server CPU per keepalive under tsx against 53 µs compiled, in one `bench:profile` run.
 * Nobody runs the package that way; the bench measures what they run.
 */
export function compiledBenchScript(script: string): string {
  const outfile = join(compiledDir, script.replace(/\.ts$/, '.mjs'));
  buildSync({
    entryPoints: [fileURLToPath(new URL(script, benchDir))],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

/** Forks a compiled bench script, waits for its first IPC message (a result or `{ error }`). */
export function runChild<T>(script: string, args: string[], nodeFlags: string[], timeoutMs: number, env: Record<string, string> = {}) {
  const child = fork(compiledBenchScript(script), args, {
    execArgv: nodeFlags,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const firstMessage = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} ${args.join(' ')}: no answer in ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      const error = (message as { error?: string }).error;
      if (error) reject(new Error(`${script} ${args.join(' ')}: ${error}`));
      else resolve(message as T);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')} exited (${signal ?? code}) before answering`));
    });
  });
  const stop = () => {
    children.delete(child);
    child.kill('SIGKILL');
  };
  /** Sends `message` and resolves to the child's next IPC message that has `field`. */
  const ask = <R>(message: string, field: string) =>
    new Promise<R>((resolve, reject) => {
      const onMessage = (reply: unknown) => {
        if (typeof reply !== 'object' || reply === null || !(field in reply)) return;
        child.off('message', onMessage);
        resolve((reply as Record<string, R>)[field]!);
      };
      child.on('message', onMessage);
      if (!child.send(message)) reject(new Error(`${script}: IPC channel closed`));
    });
  return { firstMessage, stop, cpuMicros: () => ask<NodeJS.CpuUsage>('cpu-usage', 'cpuUsage').then((usage) => usage.user + usage.system), ask };
}

const requestHeaders = {
  'Content-Type': 'application/json',
  'Sec-Fetch-Site': 'same-origin',
};

/** Signs in once through the child's POST /login and returns the Cookie header to send. */
async function signIn(origin: string): Promise<string> {
  const response = await fetch(`${origin}/login`, {
    method: 'POST',
    headers: requestHeaders,
    body: JSON.stringify({ username: 'alice' }),
  });
  if (!response.ok) throw new Error(`POST /login answered ${response.status}: ${await response.text()}`);
  return response.headers
    .getSetCookie()
    .map((setCookie) => setCookie.split(';')[0])
    .join('; ');
}

export interface RunningTarget {
  name: BenchTargetName;
  origin: string;
  /** The Cookie header of the one session it signed in (none for bare). */
  cookie: string | undefined;
  /** The Cookie headers of the many sessions it filed, if it filed them. */
  manyCookies: string[] | undefined;
  stop: () => void;
  /** The server's CPU time so far (user + system, µs). */
  cpuMicros: () => Promise<number>;
  /** Sends the server a message (`profile-start`, `profile-stop`) and waits for its reply's `field`. */
  ask: <R>(message: string, field: string) => Promise<R>;
}

/** Starts one target in its own process (filing `sessionCount` sessions first) and signs in. */
export async function startTarget(name: BenchTargetName, sessionCount: number, env: Record<string, string> = {}): Promise<RunningTarget> {
  const args = sessionCount > 0 ? [name, String(sessionCount)] : [name];
  const server = runChild<{ port: number; sessionIds?: string[] }>('server-targets.ts', args, [], 120_000, env);
  try {
    const { port, sessionIds } = await server.firstMessage;
    const origin = `http://127.0.0.1:${port}`;
    const cookie = name === 'bare' ? undefined : await signIn(origin);
    const manyCookies = sessionIds?.map((id) => `idle_session=${id}`);
    return { name, origin, cookie, manyCookies, stop: server.stop, cpuMicros: server.cpuMicros, ask: server.ask };
  } catch (error) {
    server.stop();
    throw error;
  }
}

/** The request a row sends, without its cookie. */
function requestOf(kind: RequestKind): { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string } {
  if (kind === 'keepalive') return { method: 'POST', path: keepalivePath, headers: requestHeaders, body: keepaliveBody };
  const headers: Record<string, string> = { 'Sec-Fetch-Site': 'same-origin' };
  if (kind === 'background') headers[BACKGROUND_HEADER] = '1';
  return { method: 'GET', path: APP_PATH, headers };
}

/** A Cookie header for one request of the row: the target's one session, or a random one of many. */
function cookieFor(spec: RowSpec, target: RunningTarget, manyCookies: string[]): () => string | undefined {
  if (!spec.randomSessions) return () => target.cookie;
  return () => manyCookies[Math.floor(Math.random() * manyCookies.length)];
}

/** autocannon's options for `seconds` of the row; random sessions pick their cookie per request. */
export function loadOptions(spec: RowSpec, target: RunningTarget, manyCookies: string[], seconds: number): autocannon.Options {
  const { method, path, headers, body } = requestOf(spec.request);
  const cookie = cookieFor(spec, target, manyCookies);
  const common = { url: target.origin, connections, duration: seconds };
  if (!spec.randomSessions) {
    const fixed = cookie();
    return { ...common, url: target.origin + path, method, headers: fixed ? { ...headers, Cookie: fixed } : headers, ...(body ? { body } : {}) };
  }
  const setupRequest = (request: autocannon.Request) => ({ ...request, headers: { ...headers, Cookie: cookie()! } });
  return { ...common, requests: [{ method, path, headers, ...(body ? { body } : {}), setupRequest }] };
}

/** One request by hand: the row only counts if the server answers 200 for a live session. */
export async function checkRow(spec: RowSpec, target: RunningTarget, manyCookies: string[]): Promise<void> {
  const { method, path, headers, body } = requestOf(spec.request);
  const cookie = cookieFor(spec, target, manyCookies)();
  const response = await fetch(target.origin + path, { method, headers: cookie ? { ...headers, Cookie: cookie } : headers, ...(body ? { body } : {}) });
  const text = await response.text();
  const live = spec.request === 'keepalive' ? text.includes('"active"') : text.includes('"subject"');
  if (response.status !== 200 || !live) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
}

