// One server instance on Redis as the adversarial Redis suites drive it: its own node-redis
// client (to a URL the test chooses, e.g. through a proxy), a RedisSessionStore, the real
// createIdleSession on an injected clock, and the HTTP calls a browser would make.
import { Hono } from 'hono';
import { createClient } from 'redis';
import { createIdleSession, type IdleSessionEnv } from '../idle-session.ts';
import type { EndedSession, IdleSessionOptions } from '../options.ts';
import { RedisSessionStore, type RedisSessionStoreOptions } from '../redis-store.ts';

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

/** A clock the test moves by hand, shared by every instance of one test. */
export function testClock(start: number): Clock {
  let at = start;
  return { now: () => at, advance: (ms) => void (at += ms) };
}

export interface InstanceOptions {
  url: string;
  prefix: string;
  clock: Clock;
  server?: Omit<IdleSessionOptions, 'store' | 'now' | 'onSessionEnd'>;
  store?: Omit<RedisSessionStoreOptions, 'client' | 'prefix'>;
}

/**
 * Starts an instance; `close()` stops its sweeper and its client.
 *
 * @example
 * const a = await startInstance({ url: proxy.url, prefix, clock });
 * const cookie = await a.signIn('alice');
 * expect((await a.keepalive(cookie)).status).toBe(200);
 */
export async function startInstance(options: InstanceOptions) {
  const client = createClient({ url: options.url, socket: { reconnectStrategy: () => 50, connectTimeout: 1_000 } });
  client.on('error', () => {}); // expected while a test cuts the link
  await client.connect();
  const ended: EndedSession[] = [];
  const store = new RedisSessionStore({ client, prefix: options.prefix, ...options.store });
  const idle = createIdleSession({
    sweepIntervalMs: 0,
    logger: { warn() {}, error() {} },
    ...options.server,
    store,
    now: options.clock.now,
    onSessionEnd: (session) => void ended.push(session),
  });
  const app = new Hono<IdleSessionEnv>();
  app.use(idle.middleware);
  app.route('/', idle.routes);
  app.post('/login', async (c) => {
    const { username } = await c.req.json<{ username: string }>();
    await idle.signIn(c, username);
    return c.json({ ok: true });
  });
  const send = async (method: string, path: string, cookie?: string, body?: unknown): Promise<Response> =>
    app.request(`http://localhost${path}`, {
      method,
      headers: { 'Sec-Fetch-Site': 'same-origin', ...(cookie ? { Cookie: cookie } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    client,
    store,
    idle,
    ended,
    send,
    status: (cookie: string) => send('GET', '/session', cookie),
    keepalive: (cookie: string, idleMs = 0) => send('POST', '/session/keepalive', cookie, { idleMs }),
    logout: (cookie: string) => send('POST', '/session/logout', cookie),
    /** POST /login; the response, whose cookie `cookieOf` reads. */
    login: (username: string) => send('POST', '/login', undefined, { username }),
    async signIn(username = 'alice'): Promise<string> {
      const response = await send('POST', '/login', undefined, { username });
      if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
      return cookieOf(response);
    },
    async close(): Promise<void> {
      idle.close();
      if (client.isOpen) await client.close();
    },
  };
}

export type Instance = Awaited<ReturnType<typeof startInstance>>;

/** The `name=value` of the session cookie a response sets. */
export function cookieOf(response: Response): string {
  const header = response.headers.getSetCookie()[0];
  if (!header) throw new Error('the response set no cookie');
  return header.split(';')[0]!;
}

/** How long `call` took to answer, with its answer. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await call();
  return { value, ms: performance.now() - startedAt };
}
