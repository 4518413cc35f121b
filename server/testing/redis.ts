// Where the Redis suites find Redis, and whether they may run: under CI=true a missing Redis
// fails the run (the suites must run there); elsewhere they skip and say why.
import { createClient } from 'redis';
import type { SessionRecord, SessionStore } from '../store.ts';
import { T0 } from './deadline-rule.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Under CI the Redis suites must run: a missing Redis fails the run instead of skipping it. */
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';

/** Why the Redis at `url` does not answer a PING, or undefined when it does. */
export async function whyRedisIsDown(url = REDIS_URL): Promise<string | undefined> {
  const probe = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    await probe.close();
    return undefined;
  } catch (error) {
    probe.destroy();
    return error instanceof Error ? error.message || error.name : String(error);
  }
}

/** Why `suite` cannot run here (it is then skipped, with a warning), or undefined when it can. */
export async function redisUnavailableFor(suite: string): Promise<string | undefined> {
  const down = await whyRedisIsDown();
  if (down && IN_CI) throw new Error(`CI=true: the ${suite} must run, but ${REDIS_URL} did not answer: ${down}`);
  if (down) console.warn(`Skipping the ${suite}: ${REDIS_URL} did not answer (${down}). Start redis-server (or set REDIS_URL) to run it.`);
  return down;
}

/**
 * Several stores (instances) sweeping at once until none finds anything more: every key each
 * claim handed out, in the order the claims answered.
 *
 * @example
 * const claimed = await claimUntilDrained(stores, T0 + 1_000, 100);
 * expect(new Set(claimed).size).toBe(claimed.length); // nothing handed out twice
 */
export async function claimUntilDrained(stores: readonly Pick<SessionStore, 'takeExpired'>[], now: number, batchSize: number): Promise<string[]> {
  const claimed: string[] = [];
  await Promise.all(
    stores.map(async (store) => {
      for (;;) {
        const batch = await store.takeExpired(now, batchSize);
        claimed.push(...batch.map((e) => e.key));
        if (batch.length === 0) return;
      }
    }),
  );
  return claimed;
}

/** The schedule of the records `sessionRecord` makes: createIdleSession's defaults. */
export const IDLE = 300_000;
export const ABSOLUTE = 43_200_000;

/** A record as sign-in files it (alice, signed in at T0, the default schedule), with `overrides`. */
export function sessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { subject: 'alice', createdAt: T0, idleDeadlineAt: T0 + IDLE, absoluteDeadlineAt: T0 + ABSOLUTE, ...overrides };
}

/** The `n`th made-up store key, as long as a real one (a SHA-256 digest in base64url is 43 characters). */
export function testKey(n: number, letter = 'd'): string {
  return `${letter}${String(n).padStart(42, '0')}`;
}

/** What `testRedisClients` needs of a node-redis client (v5 or v6). */
interface TestRedisClient {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  unlink(keys: string[]): Promise<unknown>;
  readonly isOpen: boolean;
  close(): Promise<unknown>;
}

/**
 * A Redis suite's clients and keys: `connect` opens a client (errors expected while an outage test
 * cuts it), `freshPrefix` gives each test a prefix under this file's own, and `cleanUp` (for
 * afterAll) drops every key under it and closes the clients.
 *
 * @example
 * const redis = testRedisClients((options) => createClient({ url: REDIS_URL, ...options }), 't');
 * afterAll(() => redis.cleanUp(admin));
 */
export function testRedisClients<Options extends object, Client extends TestRedisClient>(create: (options: Options) => Client, tag: string) {
  const clients: Client[] = [];
  const filePrefix = `idle-logout-test:${crypto.randomUUID()}`;
  let prefixes = 0;
  const dropKeys = async (client: Client, prefix: string) => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1_000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  };
  return {
    filePrefix,
    freshPrefix: () => `${filePrefix}:{${tag}${(prefixes += 1)}}:`,
    async connect(options = {} as Options): Promise<Client> {
      const client = create(options);
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
    dropKeys,
    async cleanUp(admin: Client): Promise<void> {
      await dropKeys(admin, filePrefix);
      await Promise.all(clients.map((client) => (client.isOpen ? client.close() : undefined)));
    },
  };
}
