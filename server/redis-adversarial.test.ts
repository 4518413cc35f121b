// The standing adversarial cases for Redis: what a real deployment does to the store that a
// healthy loopback Redis never shows. A link that holds a command in transit (a pausable TCP
// proxy between one instance and Redis), a Redis that stops answering (DEBUG SLEEP) or is full
// (maxmemory + noeviction). Destructive cases run on a redis-server of the suite's own; the rest
// on the shared one (REDIS_URL), under their own prefix. Under CI=true both must run.
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { privateRedisUnavailableFor, startPrivateRedis, type PrivateRedis } from './testing/private-redis.ts';
import { REDIS_URL, redisUnavailableFor } from './testing/redis.ts';
import { cookieOf, startInstance, testClock, timed, type Instance, type InstanceOptions } from './testing/redis-instance.ts';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.ts';

const sharedDown = await redisUnavailableFor('Redis adversarial suite');
const privateDown = privateRedisUnavailableFor('Redis adversarial suite (private redis-server)');

const T0 = 1_700_000_000_000;
const IDLE = 300_000;
const FILE_PREFIX = `idle-logout-test:${randomUUID()}`;
let prefixCount = 0;
const freshPrefix = () => `${FILE_PREFIX}:{a${++prefixCount}}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const instances: Instance[] = [];
async function instance(options: InstanceOptions): Promise<Instance> {
  const started = await startInstance(options);
  instances.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(instances.splice(0).map((each) => each.close()));
});
// Every suite here on the shared Redis writes under FILE_PREFIX: drop it all once they are done.
afterAll(async () => {
  if (sharedDown) return;
  const admin = await connect(REDIS_URL);
  for await (const keys of admin.scanIterator({ MATCH: `${FILE_PREFIX}*`, COUNT: 1_000 })) if (keys.length > 0) await admin.unlink(keys);
  await admin.close();
});

async function connect(url: string) {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}
type RedisClient = Awaited<ReturnType<typeof connect>>;

describe.skipIf(Boolean(sharedDown))('a command held in transit between one instance and Redis', () => {
  let proxy: TcpProxy;
  let admin: RedisClient;
  beforeAll(async () => {
    proxy = await startTcpProxy(new URL(REDIS_URL));
    admin = await connect(REDIS_URL);
  });
  afterAll(async () => {
    await proxy.close();
    await admin.close();
  });

  async function twoInstances(server: InstanceOptions['server'] = {}) {
    const clock = testClock(T0);
    const prefix = freshPrefix();
    // A reaches Redis through the proxy; B directly.
    const a = await instance({ url: proxy.url, prefix, clock, server });
    const b = await instance({ url: REDIS_URL, prefix, clock, server });
    const cookie = await b.signIn('alice');
    expect((await a.status(cookie)).status).toBe(200); // A's link is up and its store has met Redis
    return { a, b, clock, cookie };
  }

  for (const seenBy of ['a status request', 'the sweeper'] as const) {
    it(`a keepalive held past the deadline does not revive a session that ${seenBy} on another instance saw end`, async () => {
      const { a, b, clock, cookie } = await twoInstances();
      clock.advance(IDLE - 1); // 1 ms left: A's keepalive leaves while the session is live
      proxy.cut('stall');
      const held = a.keepalive(cookie);
      await sleep(300); // the keepalive's bytes are in transit; meanwhile the deadline passes
      clock.advance(2);
      // B tells the browser "signed out", or ends the session and reports it.
      if (seenBy === 'the sweeper') expect(await b.idle.sweepExpired()).toBe(1);
      else expect((await b.status(cookie)).status).toBe(401);
      proxy.restore();
      expect((await held).status).toBe(401);
      expect((await b.status(cookie)).status).toBe(401);
      expect((await a.status(cookie)).status).toBe(401);
      await b.idle.sweepExpired();
      expect(await b.idle.sweepExpired()).toBe(0);
      expect(b.ended.map((e) => e.reason)).toEqual(['idle']);
    });
  }

  it('a keepalive held past the time bound changes nothing when it reaches Redis', async () => {
    const { a, b, clock, cookie } = await twoInstances({ storeTimeoutMs: 400 });
    clock.advance(10_000);
    proxy.cut('stall');
    const held = await timed(() => a.keepalive(cookie));
    expect(held.value.status).toBe(503);
    expect(held.ms).toBeLessThan(400 + 400);
    await sleep(200); // the bytes stay in transit well past the bound
    proxy.restore();
    // A's next command follows the held keepalive on the same connection: once it is answered,
    // Redis has run the keepalive.
    await vi.waitFor(async () => expect((await a.status(cookie)).status).toBe(200));
    expect(await (await b.status(cookie)).json()).toMatchObject({ state: 'active', remainingMs: IDLE - 10_000 });
  });
});

describe.skipIf(Boolean(sharedDown))('clocks', () => {
  it('tells a server whose clock is seconds away from Redis\'s, once, at start', async () => {
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 5_000);
    try {
      const warn = vi.fn();
      const app = await instance({ url: REDIS_URL, prefix: freshPrefix(), clock: testClock(T0), store: { logger: { warn } } });
      await app.signIn('alice');
      await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1));
      expect(warn.mock.calls[0]![0]).toMatch(/clock is \d+ ms ahead of Redis's.*NTP-synced within 1000 ms/);
    } finally {
      vi.mocked(Date.now).mockRestore();
    }
  });

  it('says nothing when the clocks agree', async () => {
    const warn = vi.fn();
    const app = await instance({ url: REDIS_URL, prefix: freshPrefix(), clock: testClock(T0), store: { logger: { warn } } });
    await app.signIn('alice');
    expect(warn).not.toHaveBeenCalled();
  });
});

describe.skipIf(Boolean(privateDown))('a Redis of our own that stops answering or is full', () => {
  let redis: PrivateRedis;
  let admin: RedisClient;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    admin = await connect(redis.url);
  }, 20_000);
  afterEach(async () => {
    await admin.configSet('maxmemory', '0');
    await admin.flushAll();
  });
  afterAll(async () => {
    await admin?.close();
    await redis?.stop();
  });

  /** Makes Redis answer nobody for `ms`; resolves when it answers again. */
  async function redisSleeps(ms: number): Promise<() => Promise<unknown>> {
    const sleeper = await connect(redis.url);
    const awake = sleeper.sendCommand(['DEBUG', 'SLEEP', String(ms / 1_000)]).finally(() => sleeper.close());
    await sleep(50); // let the sleep start before the calls under test are sent
    return () => awake;
  }

  it('answers every store call within the one time bound, and what Redis runs late changes nothing wrongly', async () => {
    const BOUND_MS = 1_000;
    const clock = testClock(T0);
    const prefix = freshPrefix();
    const app = await instance({ url: redis.url, prefix, clock, server: { storeTimeoutMs: BOUND_MS } });
    const alice = await app.signIn('alice');
    const bob = await app.signIn('bob');
    clock.advance(10_000);
    const awake = await redisSleeps(1_500);
    const [page, ...answers] = await Promise.all([
      // A request that never reads the session does not wait for the store (its activity is
      // recorded after the response, and refused when Redis runs it late).
      timed(() => app.send('GET', '/anything', alice)),
      timed(() => app.status(alice)),
      timed(() => app.keepalive(alice)),
      timed(() => app.login('carol')),
      timed(() => app.logout(bob)),
    ]);
    expect(page!.value.status).toBe(404);
    expect(page!.ms).toBeLessThan(BOUND_MS);
    for (const { value, ms } of answers) {
      expect(value.status).toBe(503);
      expect(ms).toBeGreaterThanOrEqual(BOUND_MS - 5);
      expect(ms).toBeLessThan(BOUND_MS + 400); // the bound, with a margin for a loaded machine
    }
    await awake();
    // Redis ran all of it after the bound: the keepalive and the middleware's extension were
    // refused, the sign-in created nothing, the sign-out removed bob and reported it once.
    expect(await (await app.status(alice)).json()).toMatchObject({ state: 'active', remainingMs: IDLE - 10_000 });
    expect(await admin.zCard(`${prefix}#deadlines`)).toBe(1);
    await vi.waitFor(() => expect(app.ended.map((e) => [e.subject, e.reason])).toEqual([['bob', 'signed-out']]));
    expect((await app.status(bob)).status).toBe(401);
    clock.advance(IDLE);
    expect(await app.idle.sweepExpired()).toBe(1);
    expect(app.ended.map((e) => [e.subject, e.reason])).toEqual([['bob', 'signed-out'], ['alice', 'idle']]);
  });

  it('reports 50 sign-outs made while Redis sleeps as 50 sign-outs, each once', async () => {
    const clock = testClock(T0);
    const app = await instance({ url: redis.url, prefix: freshPrefix(), clock, server: { storeTimeoutMs: 500 } });
    const cookies = await Promise.all(Array.from({ length: 50 }, (_, i) => app.signIn(`user${i}`)));
    clock.advance(IDLE - 1_000);
    const awake = await redisSleeps(1_500);
    const answers = await Promise.all(cookies.map((cookie) => app.logout(cookie)));
    expect(answers.map((r) => r.status)).toEqual(cookies.map(() => 503));
    clock.advance(1_000); // their deadlines pass before Redis answers
    await awake();
    // The sweeper runs meanwhile, as it would every second: it must not report them as idle.
    await vi.waitFor(async () => {
      await app.idle.sweepExpired().catch(() => 0);
      expect(app.ended).toHaveLength(50);
    });
    expect(await app.idle.sweepExpired()).toBe(0);
    expect(app.ended.every((e) => e.reason === 'signed-out')).toBe(true);
    expect(new Set(app.ended.map((e) => e.subject)).size).toBe(50);
    for (const cookie of cookies.slice(0, 5)) expect((await app.status(cookie)).status).toBe(401);
  });

  it('ends all of a user’s sessions while Redis is full, and their browsers are told they were revoked', async () => {
    const clock = testClock(T0);
    const app = await instance({ url: redis.url, prefix: freshPrefix(), clock });
    const alices = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      alices.push(await app.signIn('alice'));
    }
    await Promise.all(Array.from({ length: 300 }, (_, i) => app.signIn(`other${i}`)));
    const usedMemory = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.configSet('maxmemory', String(usedMemory - 20_000));
    expect((await app.login('dave')).status).toBe(503); // full
    expect(await app.idle.endSessions('alice')).toBe(5);
    for (const cookie of alices) expect(await (await app.status(cookie)).json()).toMatchObject({ error: 'session-revoked' });
    expect(app.ended.map((e) => e.reason)).toEqual(Array(5).fill('revoked'));
    expect(await app.idle.listSessions('alice')).toEqual([]);
  });

  it('drains ended sessions when Redis is full of active ones, and then lets people sign in', async () => {
    const clock = testClock(T0);
    const prefix = freshPrefix();
    const app = await instance({ url: redis.url, prefix, clock });
    expect(await app.idle.sweepExpired()).toBe(0); // Redis has loaded the sweep script
    // 600 users stay active (each extended since it was indexed, so the index lists them first),
    // 400 have left.
    const active = await Promise.all(Array.from({ length: 600 }, (_, i) => app.signIn(`active${i}`)));
    clock.advance(1_000);
    const gone = await Promise.all(Array.from({ length: 400 }, (_, i) => app.signIn(`gone${i}`)));
    clock.advance(IDLE - 2_000);
    for (const cookie of active) expect((await app.keepalive(cookie)).status).toBe(200);
    clock.advance(2_000); // the 400 ended; the 600 live on
    const usedMemory = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.configSet('maxmemory', String(usedMemory - 20_000));
    const refused = await app.login('dave');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'store-unavailable' });
    expect((await app.logout(active[0]!)).status).toBe(200); // a sign-out only frees
    expect(app.ended).toMatchObject([{ subject: 'active0', reason: 'signed-out' }]);

    expect(await app.idle.sweepExpired()).toBe(gone.length);
    expect(app.ended.slice(1).every((e) => e.reason === 'idle' && e.subject.startsWith('gone'))).toBe(true);
    const after = await app.login('dave');
    expect(after.status).toBe(200);
    expect((await app.status(cookieOf(after))).status).toBe(200);
    for (const cookie of active.slice(1, 6)) expect((await app.status(cookie)).status).toBe(200);
  });
});
