// The Redis store on a real Redis Cluster that this suite starts: 3 masters and 3 replicas on
// loopback (server/testing/redis-cluster.ts). The store contract with sessions over 12 shards,
// sessions spread over all masters, the sweep across every shard, and failover: a master
// SIGKILLed under load, its replica promoted. Under CI=true it must run; elsewhere it is skipped
// with the reason when redis-server or redis-cli is missing.
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.ts';
import { clusterSlot, shardIndexOf, shardsOf } from './redis-shards.ts';
import { liveRecord } from './store.ts';
import { createTestApp, testClock, type Clock } from './testing/app.ts';
import { T0 } from './testing/deadline-rule.ts';
import { claimUntilDrained, IDLE, sessionRecord as record, testKey } from './testing/redis.ts';
import { localClusterUnavailableFor, startLocalCluster, type LocalRedisCluster } from './testing/redis-cluster.ts';
import { describeSessionStoreContract } from './testing/store-contract.ts';

const clusterMissing = localClusterUnavailableFor('Redis Cluster suite');

const SHARDS = 12; // 4 a master: the shards fall in 12 equal slot ranges, the masters in 3
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let prefixCount = 0;
const freshPrefix = () => `idle-logout-test:{c${++prefixCount}}:`;
const digest = (n: number) => testKey(n);

let cluster: LocalRedisCluster;
const clients: { destroy(): unknown }[] = [];

/** A cluster client as docs/redis.md recommends: short reconnects, topology refreshed soon after a node drops. */
async function connectCluster() {
  const client = createCluster({
    rootNodes: cluster.nodes.map(({ url }) => ({ url })),
    defaults: { disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: () => 100 } },
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
  const sessions = new RedisSessionStore({ client, shards: SHARDS, logger: { warn() {} }, ...store });
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

  // A WAIT of 1 s, not the default 100 ms: on a 2-core machine running six redis-servers, a replica
  // can be paused past 100 ms, and a shard short of replicas refuses sign-ins for a second, which
  // the contract (written for a healthy store) would read as a failure.
  describeSessionStoreContract(`RedisSessionStore on Redis Cluster, ${SHARDS} shards, waitForReplicas: 1`, async (options) => ({
    store: new RedisSessionStore({ client: admin, prefix: freshPrefix(), shards: SHARDS, waitForReplicas: 1, replicaWaitMs: 1_000, ...options }),
  }));

  it('waitForReplicas waits on the master that took the write: a sign-in whose replica is stalled is refused', async () => {
    const prefix = freshPrefix();
    const store = new RedisSessionStore({ client: admin, prefix, shards: SHARDS, waitForReplicas: 1, logger: { warn() {} } });
    const [master] = await cluster.masters();
    const slotOf = (key: string) => clusterSlot(shardsOf(prefix, SHARDS)[shardIndexOf(key, SHARDS)]!.index);
    const onMaster = range(100).map(digest).filter((key) => master!.slots.some(([from, to]) => slotOf(key) >= from && slotOf(key) <= to));
    const elsewhere = range(100).map(digest).find((key) => !onMaster.includes(key))!;
    const replica = createClient({ url: `redis://127.0.0.1:${master!.replicas[0]}` });
    await replica.connect();
    // The replica stops reading for 500 ms (less than cluster-node-timeout: nobody fails over).
    const stalled = replica.sendCommand(['DEBUG', 'SLEEP', '0.5']);
    await sleep(50);
    await expect(store.create(onMaster[0]!, record())).rejects.toThrow(/fewer than the 1 replicas/);
    expect(await store.create(elsewhere, record())).toEqual([]); // other masters' replicas confirm
    await stalled;
    await replica.close();
    await sleep(1_000); // the shard is asked again after a second
    expect(await store.create(onMaster[1]!, record())).toEqual([]);
  });

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
    const claimed = [...first.map((e) => e.key), ...(await claimUntilDrained(stores, T0 + ended, 50))];
    expect(claimed).toHaveLength(ended);
    expect(new Set(claimed)).toEqual(new Set(Array.from({ length: ended }, (_, i) => digest(i))));
    // Every shard's index now holds only the live sessions.
    const indexed = await Promise.all(shardsOf(prefix, SHARDS).map((shard) => admin.zCard(shard.index)));
    expect(indexed.reduce((a, b) => a + b)).toBe(60);
  });

  // Failover (docs/redis.md, Failover): a master SIGKILLed while two instances serve a steady load
  // of status reads, keepalives, sign-outs and sweeps; its replica takes over after
  // cluster-node-timeout (1 s here). Run with and without waitForReplicas.
  describe('a master killed under load', () => {
    it('with waitForReplicas: 1, answers 503 during the switch and never a wrong one: no session revived, no onSessionEnd twice', async () => {
      const report = await failover({ waitForReplicas: 1 });
      console.log(`failover with waitForReplicas 1: ${describeReport(report)}`);
      expect(report.wrong).toEqual([]);
      expect(report.revived).toEqual([]);
      expect(report.reportedTwice).toEqual([]);
      expect(report.unavailable).toBeGreaterThan(0); // there was a switch, and it answered 503
      expect(report.answeredAfterSwitch).toBe(true);
    }, 60_000);

    it('without waitForReplicas: the same load, and what Redis replication can lose at a crash, measured', async () => {
      const report = await failover({});
      // Asynchronous replication: writes the master acknowledged and had not yet sent to its
      // replica are gone after the switch. Printed, not asserted: on loopback the window is the
      // time between the reply and the replication write, and a kill rarely falls in it.
      console.log(`failover without waitForReplicas: ${describeReport(report)}`);
      expect(report.unavailable).toBeGreaterThan(0);
      expect(report.answeredAfterSwitch).toBe(true);
      expect(report.keepalivesAcked).toBeGreaterThan(0);
    }, 60_000);
  });
});

interface FailoverReport {
  /** Answers no session state allows: 401 for a live session, 200 after an acknowledged sign-out... */
  wrong: string[];
  /** Signed-out sessions (sign-out answered 200) live again after the switch. */
  revived: string[];
  /** Sessions whose end reached onSessionEnd more than once. */
  reportedTwice: string[];
  /** Ended sessions whose end never reached onSessionEnd. */
  neverReported: number;
  requests: number;
  unavailable: number;
  /** From the kill to the last 503 of a status read or keepalive. */
  switchMs: number;
  answeredAfterSwitch: boolean;
  /** When requests answered 503 while the killed node rejoined (ms after it was started again). */
  rejoin: number[];
  keepalivesAcked: number;
  /** Acknowledged keepalives the promoted replica lacks (its deadline is earlier than acknowledged). */
  keepalivesLost: number;
}

function describeReport(report: FailoverReport): string {
  return [
    `${report.requests} requests, ${report.unavailable} answered 503, switch ${report.switchMs} ms`,
    `${report.rejoin.length} more 503s while the killed node rejoined${report.rejoin.length ? ` (${report.rejoin[0]}–${report.rejoin.at(-1)} ms after its restart)` : ''}`,
    `wrong answers ${report.wrong.length}, revived ${report.revived.length}, reported twice ${report.reportedTwice.length}, never reported ${report.neverReported}`,
    `keepalives acknowledged on the killed master's shards ${report.keepalivesAcked}, lost ${report.keepalivesLost}`,
  ].join('; ');
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

async function failover(store: Pick<RedisSessionStoreOptions, 'waitForReplicas'>): Promise<FailoverReport> {
  const clock = testClock(T0);
  const prefix = freshPrefix();
  const servers = [await instance(clock, { prefix, ...store }), await instance(clock, { prefix, ...store })];
  const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
  // One at a time: each sign-in reads all 12 shards, and 48 at once take longer than the bound here.
  const live: string[] = [];
  for (const i of range(48)) live.push((await a.signIn(`user${i}`)).cookie);
  const leaving: string[] = [];
  for (const i of range(24)) leaving.push((await b.signIn(`leaver${i}`)).cookie);
  // Sessions that end under load, one per 10 ms of the test clock, for the sweepers to claim.
  const ending = range(300).map((i) => testKey(i, 'e'));
  // A few at a time: the store follows the 500 ms bound, and each create reads all 12 shards.
  for (let from = 0; from < ending.length; from += 20) {
    await Promise.all(ending.slice(from, from + 20).map((key, i) => a.sessions.create(key, record({ subject: `ending${from + i}`, idleDeadlineAt: T0 + 10 * (from + i + 1) }))));
  }

  const victim = (await cluster.masters())[0]!;
  const onVictim = (key: string) => {
    const slot = clusterSlot(shardsOf(prefix, SHARDS)[shardIndexOf(key, SHARDS)]!.index);
    return victim.slots.some(([from, to]) => slot >= from && slot <= to);
  };
  // Keepalive probes, straight to the store: the deadline each acknowledged, to compare after.
  const probes = range(40).map((i) => testKey(i, 'p')).filter(onVictim);
  for (const key of probes) await a.sessions.create(key, record({ subject: key }));
  const acked = new Map<string, number>();

  const report: FailoverReport = { wrong: [], revived: [], reportedTwice: [], neverReported: 0, requests: 0, unavailable: 0, switchMs: 0, answeredAfterSwitch: false, rejoin: [], keepalivesAcked: 0, keepalivesLost: 0 };
  const signedOut: string[] = [];
  const toSignOut = [...leaving];
  let killedAt = Infinity;
  let revivedFrom = Infinity;
  let lastUnavailableAt = 0;
  let running = true;

  async function client(): Promise<void> {
    while (running) {
      // A refused command can answer without any I/O (no offline queue): yield, or these loops
      // would starve the timers that end them.
      await new Promise((resolve) => setImmediate(resolve));
      const server = pick(servers);
      if (Math.random() < 0.1 && toSignOut.length > 0) {
        const cookie = toSignOut.pop()!;
        const response = await server.logout(cookie);
        report.requests += 1;
        if (response.status === 200) signedOut.push(cookie);
        else if (response.status === 503) toSignOut.push(cookie); // the SDK retries its sign-out
        else report.wrong.push(`sign-out answered ${response.status}`);
        continue;
      }
      const out = signedOut.length > 0 && Math.random() < 0.3;
      const cookie = out ? pick(signedOut) : pick(live);
      const response = Math.random() < 0.5 ? await server.status(cookie) : await server.keepalive(cookie, { idleMs: 0 });
      report.requests += 1;
      if (response.status === 503) {
        report.unavailable += 1;
        const at = performance.now();
        if (at > revivedFrom) report.rejoin.push(Math.round(at - revivedFrom));
        else if (at > killedAt) lastUnavailableAt = at;
      } else if (response.status !== (out ? 401 : 200)) {
        report.wrong.push(`${response.status} for a ${out ? 'signed-out' : 'live'} session`);
      }
    }
  }
  async function sweeping(): Promise<void> {
    while (running) {
      clock.advance(10);
      await Promise.all(servers.map((server) => server.idle.sweepExpired().catch(() => 0)));
      await sleep(10);
    }
  }
  async function keepalives(): Promise<void> {
    for (let n = 1; running; n++) {
      await new Promise((resolve) => setImmediate(resolve));
      const key = pick(probes);
      const extended = liveRecord(await Promise.race([a.sessions.extend(key, T0 + IDLE + n, T0).catch(() => undefined), sleep(1_000).then(() => undefined)]));
      if (extended && performance.now() < killedAt) {
        acked.set(key, extended.idleDeadlineAt);
        report.keepalivesAcked += 1;
      }
    }
  }

  const load = [...range(8).map(client), sweeping(), keepalives()];
  await sleep(800);
  killedAt = performance.now();
  await cluster.kill(victim.port);
  await cluster.untilHealthy();
  // With waitForReplicas the promoted master, alone, cannot confirm writes: bring the killed node
  // back (it rejoins as the new master's replica), as an operator replaces a failed one.
  // Until every status read and keepalive has been answered for a second without a 503.
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline && (lastUnavailableAt === 0 || performance.now() - lastUnavailableAt < 1_000)) await sleep(100);
  report.switchMs = Math.round(lastUnavailableAt - killedAt);
  report.answeredAfterSwitch = performance.now() - lastUnavailableAt >= 1_000;
  // Under load still, the killed node comes back (it rejoins as the new master's replica), as an
  // operator replaces a failed one; with waitForReplicas that master could not confirm writes alone.
  revivedFrom = performance.now();
  await cluster.revive(victim.port);
  await sleep(500);
  running = false;
  await Promise.all(load);

  // Everything that ended gets swept (both instances), whatever was lost and found again.
  clock.advance(10 * ending.length + 1_000);
  const drainedBy = performance.now() + 30_000;
  for (let quiet = 0; quiet < 3 && performance.now() < drainedBy; ) {
    const swept = await Promise.all(servers.map((server) => server.idle.sweepExpired().catch(() => -1)));
    quiet = swept.every((count) => count === 0) ? quiet + 1 : 0;
    await sleep(50);
  }
  for (const cookie of signedOut) if ((await a.status(cookie)).status !== 401) report.revived.push(cookie);
  const reports = new Map<string, number>();
  for (const { subject } of [...a.ended, ...b.ended]) reports.set(subject, (reports.get(subject) ?? 0) + 1);
  report.reportedTwice = [...reports].filter(([, count]) => count > 1).map(([subject]) => subject);
  const shouldEnd = [...ending.map((_, i) => `ending${i}`), ...signedOut.map((cookie) => `leaver${leaving.indexOf(cookie)}`)];
  report.neverReported = shouldEnd.filter((subject) => !reports.has(subject)).length;
  for (const [key, deadline] of acked) if ((liveRecord(await a.sessions.get(key, T0))?.idleDeadlineAt ?? 0) < deadline) report.keepalivesLost += 1;
  for (const server of servers) server.idle.close();
  return report;
}
