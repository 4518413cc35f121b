// One server instance on Redis as the adversarial Redis suites drive it: its own node-redis
// client (to a URL the test chooses, e.g. through a proxy), a RedisSessionStore, and the shared
// test app (server/testing/app.ts) on an injected clock.
import { createClient } from 'redis';
import type { IdleSessionOptions } from '../options.ts';
import { RedisSessionStore, type RedisSessionStoreOptions } from '../redis-store.ts';
import { createTestApp, testClock, type Clock } from './app.ts';

export { testClock, type Clock };

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
  const store = new RedisSessionStore({ client, prefix: options.prefix, ...options.store });
  const server = createTestApp({ logger: { warn() {}, error() {} }, ...options.server, store, clock: options.clock });
  const sameOrigin = { 'Sec-Fetch-Site': 'same-origin' };
  const send = (method: string, path: string, cookie?: string, body?: unknown): Promise<Response> =>
    server.send(method, path, { headers: sameOrigin, ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return {
    client,
    store,
    idle: server.idle,
    ended: server.ended,
    send,
    status: (cookie: string) => send('GET', '/session', cookie),
    keepalive: (cookie: string, idleMs = 0) => send('POST', '/session/keepalive', cookie, { idleMs }),
    logout: (cookie: string) => send('POST', '/session/logout', cookie),
    /** POST /login; the response, whose cookie `cookieOf` reads. */
    login: (username: string) => send('POST', '/login', undefined, { username }),
    async signIn(username = 'alice'): Promise<string> {
      return (await server.signIn(username)).cookie;
    },
    async close(): Promise<void> {
      server.idle.close();
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
