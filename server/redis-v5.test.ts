// The Redis store with a node-redis 5 client: `redis` is an optional peer of `^5.0.0 || ^6.0.0`,
// and every other Redis suite runs 6 (the `redis` devDependency). This one takes its client from
// the `redis-5` devDependency (npm:redis@^5) and runs what depends on the client's major: the
// SessionStore contract, plain and time-bounded as the server uses it (withCommandOptions with
// `timeout: 0` and an abortSignal, which 5 must accept as 6 does), and the withdrawal of a command
// queued while Redis is away (server/testing/queued-command-withdrawal.ts).
// Under CI=true a missing Redis fails the run; elsewhere the suite is skipped with the reason.
import { createClient } from 'redis-5';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { guardStore } from './guarded-store.ts';
import { RedisSessionStore } from './redis-store.ts';
import { expectQueuedCommandWithdrawn } from './testing/queued-command-withdrawal.ts';
import { REDIS_URL, redisUnavailableFor, testRedisClients } from './testing/redis.ts';
import { describeSessionStoreContract } from './testing/store-contract.ts';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.ts';

const redisDown = await redisUnavailableFor('Redis store suite with node-redis 5');

type Client = ReturnType<typeof createClient>;
const redis = testRedisClients((options: Parameters<typeof createClient>[0] = {}) => createClient({ url: REDIS_URL, ...options }), 'v5-');
const { connect, dropKeys, freshPrefix } = redis;

let admin: Client;
beforeAll(async () => {
  if (!redisDown) admin = await connect();
});
afterAll(async () => {
  if (!redisDown) await redis.cleanUp(admin);
});

describe.skipIf(Boolean(redisDown))('RedisSessionStore with a node-redis 5 client', () => {
  describeSessionStoreContract('RedisSessionStore (node-redis 5)', async (options) => {
    const prefix = freshPrefix();
    return { store: new RedisSessionStore({ client: admin, prefix, ...options }), cleanup: () => dropKeys(admin, prefix) };
  });

  describeSessionStoreContract('guardStore(RedisSessionStore) (node-redis 5)', async (options) => {
    const prefix = freshPrefix();
    const store = guardStore(new RedisSessionStore({ client: admin, prefix, ...options }), { timeLimitMs: 2_000, now: Date.now, logger: console });
    return { store, cleanup: () => dropKeys(admin, prefix) };
  });

  describe('outage', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy(new URL(REDIS_URL));
    });
    afterAll(() => proxy.close());

    it('withdraws a command queued while Redis is away once the bound has passed, rather than keep it until Redis is back', async () => {
      const client = await connect({ url: proxy.url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
      await expectQueuedCommandWithdrawn({ client, proxy, prefix: freshPrefix(), boundMs: 300 });
    });
  });
});
