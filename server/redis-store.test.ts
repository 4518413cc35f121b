// The Redis store against a real Redis (REDIS_URL, default 127.0.0.1:6379): the shared contract,
// what only Redis does (TTLs, scripts, several clients), and an outage through a TCP proxy.
// Under CI=true a missing Redis fails the run; elsewhere the suite is skipped with the reason.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { guardStore } from './guarded-store.ts';
import { createIdleSession } from './idle-session.ts';
import { RedisSessionStore, type RedisSessionClient } from './redis-store.ts';
import { liveRecord, SessionStoreFullError, SessionStoreUnavailableError } from './store.ts';
import { createTestApp, T0 } from './testing/app.ts';
import { expectQueuedCommandWithdrawn } from './testing/queued-command-withdrawal.ts';
import { ABSOLUTE, claimUntilDrained, IDLE, REDIS_URL, redisUnavailableFor, sessionRecord as record, testKey, testRedisClients } from './testing/redis.ts';
import { describeSessionStoreContract } from './testing/store-contract.ts';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.ts';

const redisDown = await redisUnavailableFor('Redis store suite');

type Client = ReturnType<typeof createClient>;
const redis = testRedisClients((options: Parameters<typeof createClient>[0] = {}) => createClient({ url: REDIS_URL, ...options }), 't');
const { connect, dropKeys, freshPrefix, filePrefix: FILE_PREFIX } = redis;

let admin: Client;
beforeAll(async () => {
  if (!redisDown) admin = await connect();
});
afterAll(async () => {
  if (!redisDown) await redis.cleanUp(admin);
});

const digest = (n: number) => testKey(n);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.skipIf(Boolean(redisDown))('RedisSessionStore on a real Redis', () => {
  describeSessionStoreContract('RedisSessionStore', async (options) => {
    const prefix = freshPrefix();
    return { store: new RedisSessionStore({ client: admin, prefix, ...options }), cleanup: () => dropKeys(admin, prefix) };
  });

  // Sharded (Redis Cluster capacity): the same contract with sessions over 16 hash tags. A plain
  // Redis runs it too; server/redis-cluster.test.ts runs it on a real Cluster.
  describeSessionStoreContract('RedisSessionStore with 16 shards', async (options) => {
    const prefix = freshPrefix();
    return { store: new RedisSessionStore({ client: admin, prefix, shards: 16, ...options }), cleanup: () => dropKeys(admin, `${prefix.slice(0, -2)}.`) };
  });

  // As the server uses it: bounded in time, with the late-command refusal that adoptTimeLimit turns on.
  describeSessionStoreContract('guardStore(RedisSessionStore)', async (options) => {
    const prefix = freshPrefix();
    const store = guardStore(new RedisSessionStore({ client: admin, prefix, ...options }), { timeLimitMs: 2_000, now: Date.now, logger: console });
    return { store, cleanup: () => dropKeys(admin, prefix) };
  });

  // The mark `x` lives in the session's own hash: a miss answers it from the same command, so a
  // request whose session was ended elsewhere costs one round trip (and stays on one shard).
  it('answers a revoked session’s mark with the miss in one command, for get and for extend', async () => {
    const commands: string[] = [];
    const client: RedisSessionClient = {
      hmGet: (key, fields) => (commands.push('HMGET'), admin.hmGet(key, fields)),
      evalSha: (sha1, options) => (commands.push('EVALSHA'), admin.evalSha(sha1, options)),
      eval: (source, options) => (commands.push('EVAL'), admin.eval(source, options)),
      withCommandOptions: () => client,
    };
    const store = new RedisSessionStore({ client, prefix: freshPrefix(), shards: 16 });
    await store.create(digest(1), record());
    await store.extend(digest(1), T0 + IDLE + 1, T0 + 1); // loads the script and measures the clock
    await store.revoke('alice', {}, T0 + 2);
    commands.length = 0;
    expect(await store.get(digest(1), T0 + 3)).toEqual({ endedBy: 'revoked' });
    expect(commands).toEqual(['HMGET']);
    commands.length = 0;
    expect(await store.extend(digest(1), T0 + IDLE + 3, T0 + 3)).toEqual({ endedBy: 'revoked' });
    expect(commands).toEqual(['EVALSHA']);
    expect(await store.get(digest(2), T0 + 3)).toBeUndefined();
  });

  // A fractional ms costs a longer decimal to write on every keepalive; rounded down, the script
  // counts the command a little later than it was sent, never earlier, so it refuses no less.
  it('sends the scripts their send time as whole ms of Redis time', async () => {
    const sentAts: string[] = [];
    const client: RedisSessionClient = {
      hmGet: (key, fields) => admin.hmGet(key, fields),
      evalSha: (sha1, options) => (sentAts.push(options.arguments?.[0] ?? ''), admin.evalSha(sha1, options)),
      eval: (source, options) => admin.eval(source, options),
      withCommandOptions: () => client,
    };
    const store = new RedisSessionStore({ client, prefix: freshPrefix() });
    await store.create(digest(1), record());
    sentAts.length = 0;
    for (let i = 1; i <= 5; i++) {
      await store.extend(digest(1), T0 + IDLE + i, T0 + i);
      const [seconds, micros] = await admin.time();
      const redisAfter = Number(seconds) * 1_000 + Number(micros) / 1_000;
      const sentAt = sentAts.at(-1)!;
      expect(sentAt).toMatch(/^\d+$/);
      // Redis's time as measured through the clock offset: within half a round trip of the truth.
      expect(Math.abs(Number(sentAt) - redisAfter)).toBeLessThan(1_000);
    }
  });

  describe('keys and TTLs', () => {
    it('keeps a hash under prefix + digest, indexed by its end, with a TTL of the time left plus the grace', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix, expiryGraceMs: 60_000 });
      await store.create(digest(1), record({ data: { role: 'admin' } }));
      expect(await admin.hGetAll(`${prefix}${digest(1)}`)).toEqual({
        s: 'alice',
        d: '{"role":"admin"}',
        c: String(T0),
        i: String(T0 + IDLE),
        a: String(T0 + ABSOLUTE),
      });
      expect(await admin.zScore(`${prefix}#deadlines`, digest(1))).toBe(T0 + IDLE);
      const ttl = await admin.pTTL(`${prefix}${digest(1)}`);
      expect(ttl).toBeGreaterThan(IDLE + 60_000 - 5_000);
      expect(ttl).toBeLessThanOrEqual(IDLE + 60_000);
    });

    it('moves the TTL with the deadline on extend, capped by the absolute deadline', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix, expiryGraceMs: 1_000 });
      await store.create(digest(1), record({ absoluteDeadlineAt: T0 + 2 * IDLE }));
      await store.extend(digest(1), T0 + 100_000 + IDLE, T0 + 100_000);
      expect(await admin.pTTL(`${prefix}${digest(1)}`)).toBeGreaterThan(IDLE + 1_000 - 5_000);
      await store.extend(digest(1), T0 + 10 * IDLE, T0 + 200_000);
      const ttl = await admin.pTTL(`${prefix}${digest(1)}`);
      expect(ttl).toBeLessThanOrEqual(2 * IDLE - 200_000 + 1_000);
      expect(ttl).toBeGreaterThan(2 * IDLE - 200_000 + 1_000 - 5_000);
    });

    it('lets Redis drop a session nobody collected once the grace has passed', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix, expiryGraceMs: 50 });
      await store.create(digest(1), record({ idleDeadlineAt: T0 + 10 }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await admin.exists(`${prefix}${digest(1)}`)).toBe(0);
      // The index entry is cleaned up by the next claim; there is no record left to hand out.
      expect(await store.takeExpired(T0 + 10, 10)).toEqual([]);
      expect(await admin.zCard(`${prefix}#deadlines`)).toBe(0);
    });

    it('files a session under its subject, and keeps no index entry once Redis drops the record by its TTL', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix, expiryGraceMs: 50 });
      await store.create(digest(1), record({ idleDeadlineAt: T0 + 10, absoluteDeadlineAt: T0 + 20 }));
      expect(await admin.zScore(`${prefix}#subject:alice`, digest(1))).toBe(T0);
      // The subject index outlives its longest-lived record (absolute deadline + grace), no longer.
      expect(await admin.pTTL(`${prefix}#subject:alice`)).toBeGreaterThan(0);
      expect(await admin.pTTL(`${prefix}#subject:alice`)).toBeLessThanOrEqual(20 + 50);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await admin.exists(`${prefix}${digest(1)}`)).toBe(0);
      expect(await admin.exists(`${prefix}#subject:alice`)).toBe(0);
    });

    it('drops an index entry whose record Redis dropped at the next look at the subject', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix });
      await store.create(digest(1), record());
      await store.create(digest(2), record({ createdAt: T0 + 1 }));
      await admin.del(`${prefix}${digest(1)}`); // as Redis does when the TTL fires
      expect((await store.listSubject('alice', T0 + 5)).map((s) => s.key)).toEqual([digest(2)]);
      expect(await admin.zRange(`${prefix}#subject:alice`, 0, -1)).toEqual([digest(2)]);
    });

    it('leaves a revoked session’s key as a mark alone, expiring when the session would have ended', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix });
      await store.create(digest(1), record());
      await store.revoke('alice', {}, T0 + 1_000);
      expect(await admin.hGetAll(`${prefix}${digest(1)}`)).toEqual({ x: 'revoked' });
      const ttl = await admin.pTTL(`${prefix}${digest(1)}`);
      expect(ttl).toBeGreaterThan(IDLE - 1_000 - 5_000);
      expect(ttl).toBeLessThanOrEqual(IDLE - 1_000);
      expect(await store.delete(digest(1))).toBeUndefined(); // a sign-out of it reports nothing
    });

    // Compatibility: keys exactly as the release before sharding wrote them, written by hand here,
    // so that a change of the default layout fails this test rather than sign everyone out.
    it('keeps the users of an earlier release signed in: the default (one shard) reads, extends and sweeps its keys', async () => {
      const prefix = freshPrefix();
      const legacy = async (n: number, subject: string, idleDeadlineAt: number) => {
        await admin.hSet(`${prefix}${digest(n)}`, { s: subject, c: String(T0), i: String(idleDeadlineAt), a: String(T0 + ABSOLUTE) });
        await admin.pExpire(`${prefix}${digest(n)}`, IDLE + 3_600_000);
        await admin.zAdd(`${prefix}#deadlines`, { score: idleDeadlineAt, value: digest(n) });
        await admin.zAdd(`${prefix}#subject:${subject}`, { score: T0, value: digest(n) });
      };
      await legacy(1, 'alice', T0 + IDLE);
      await legacy(2, 'alice', T0 + 1_000);
      const store = new RedisSessionStore({ client: admin, prefix });
      expect(await store.get(digest(1), T0 + 10)).toEqual(record());
      expect(liveRecord(await store.extend(digest(1), T0 + 10 + IDLE, T0 + 10))?.idleDeadlineAt).toBe(T0 + 10 + IDLE);
      expect((await store.listSubject('alice', T0 + 10)).map((s) => s.key)).toEqual([digest(1), digest(2)]);
      expect((await store.takeExpired(T0 + 1_000, 10)).map((e) => e.key)).toEqual([digest(2)]);
      expect(await store.delete(digest(1))).toEqual(record({ idleDeadlineAt: T0 + 10 + IDLE }));
      expect(await admin.keys(`${prefix}*`)).toEqual([]);
      // Moving the same prefix to shards > 1 is a new layout: the old keys are not read (docs/redis.md).
      await legacy(3, 'alice', T0 + IDLE);
      expect(await new RedisSessionStore({ client: admin, prefix, shards: 4 }).get(digest(3), T0)).toBeUndefined();
    });

    it('works through a client with its own keyPrefix', async () => {
      const prefix = freshPrefix();
      const prefixed = await connect({ keyPrefix: `${FILE_PREFIX}:app:` });
      const store = new RedisSessionStore({ client: prefixed, prefix });
      await store.create(digest(1), record({ idleDeadlineAt: T0 + 1_000 }));
      expect(await admin.exists(`${FILE_PREFIX}:app:${prefix}${digest(1)}`)).toBe(1);
      expect(await store.get(digest(1), T0)).toEqual(record({ idleDeadlineAt: T0 + 1_000 }));
      expect((await store.takeExpired(T0 + 1_000, 10)).map((e) => e.key)).toEqual([digest(1)]);
      expect(await admin.exists(`${FILE_PREFIX}:app:${prefix}${digest(1)}`)).toBe(0);
    });
  });

  describe('data and scripts', () => {
    it('keeps app data byte for byte: empty arrays stay arrays, text stays text', async () => {
      const store = new RedisSessionStore({ client: admin, prefix: freshPrefix() });
      const data = { roles: [], nested: { list: [[], {}] }, name: 'Siân 🐉', n: 0.1, flag: false, none: null };
      await store.create(digest(1), record({ data, subject: 'łukasz' }));
      const extended = await store.extend(digest(1), T0 + IDLE + 5, T0 + 5);
      expect(extended).toEqual(record({ data, subject: 'łukasz', idleDeadlineAt: T0 + IDLE + 5 }));
      expect(await store.delete(digest(1))).toEqual(extended);
    });

    it('keeps fractional times exactly', async () => {
      const store = new RedisSessionStore({ client: admin, prefix: freshPrefix() });
      await store.create(digest(1), record({ createdAt: T0 + 0.25, idleDeadlineAt: T0 + 1_000.5 }));
      expect(liveRecord(await store.extend(digest(1), T0 + 2_000.75, T0 + 1))?.idleDeadlineAt).toBe(T0 + 2_000.75);
      expect(await store.get(digest(1), T0 + 1)).toEqual(record({ createdAt: T0 + 0.25, idleDeadlineAt: T0 + 2_000.75 }));
    });

    it('reloads its scripts when Redis has forgotten them (restart, SCRIPT FLUSH)', async () => {
      const store = new RedisSessionStore({ client: admin, prefix: freshPrefix() });
      await store.create(digest(1), record());
      await admin.scriptFlush();
      expect(liveRecord(await store.extend(digest(1), T0 + IDLE + 1, T0 + 1))?.idleDeadlineAt).toBe(T0 + IDLE + 1);
      await admin.scriptFlush();
      expect(await store.delete(digest(1))).toBeDefined();
    });

    it('refuses a second session under the same key', async () => {
      const store = new RedisSessionStore({ client: admin, prefix: freshPrefix() });
      await store.create(digest(1), record());
      await expect(store.create(digest(1), record({ subject: 'mallory' }))).rejects.toThrow(/exists/);
      expect(liveRecord(await store.get(digest(1), T0))?.subject).toBe('alice');
    });

    it('refuses new sessions at maxSessions instead of evicting live ones', async () => {
      const store = new RedisSessionStore({ client: admin, prefix: freshPrefix(), maxSessions: 2 });
      await store.create(digest(1), record({ idleDeadlineAt: T0 + 1_000 }));
      await store.create(digest(2), record());
      await expect(store.create(digest(3), record())).rejects.toBeInstanceOf(SessionStoreFullError);
      await store.takeExpired(T0 + 1_000, 10);
      await store.create(digest(3), record());
      expect(await store.get(digest(2), T0)).toBeDefined();
    });

    it('rejects options it cannot use, saying what to change', () => {
      expect(() => new RedisSessionStore({ client: {} as never })).toThrow(/node-redis client/);
      expect(() => new RedisSessionStore({ client: admin, expiryGraceMs: -1 })).toThrow(/expiryGraceMs must be a non-negative integer/);
      expect(() => new RedisSessionStore({ client: admin, maxSessions: 0 })).toThrow(/maxSessions must be a positive integer/);
      expect(() => new RedisSessionStore({ client: admin, commandTimeoutMs: 1_000 } as never)).toThrow(/set storeTimeoutMs instead/);
      expect(() => new RedisSessionStore({ client: admin, shards: 0 })).toThrow(/shards must be a positive integer/);
      expect(() => new RedisSessionStore({ client: admin, shards: 257 })).toThrow(/shards must be at most 256/);
      expect(() => new RedisSessionStore({ client: admin, shards: 4, prefix: 'myapp:' })).toThrow(/prefix needs a \{hash tag\}/);
      expect(() => new RedisSessionStore({ client: admin, waitForReplicas: -1 })).toThrow(/waitForReplicas must be a non-negative integer/);
      expect(() => new RedisSessionStore({ client: admin, waitForReplicas: 1, replicaWaitMs: 0 })).toThrow(/replicaWaitMs must be a positive integer/);
    });

    // The shared Redis has no replica, so WAIT 1 falls short (after its 100 ms): what a master
    // that lost its replica does with waitForReplicas. A cluster with replicas: redis-cluster.test.ts.
    it('with waitForReplicas, refuses a sign-in no replica confirms (then every one there for a second, unsent), and still reports removals', async () => {
      const client = await connect(); // its own connection: WAIT holds it for up to 100 ms
      const prefix = freshPrefix();
      const warn = vi.fn();
      const store = new RedisSessionStore({ client, prefix, waitForReplicas: 1, logger: { warn } });
      await expect(store.create(digest(1), record())).rejects.toThrow(/fewer than the 1 replicas waitForReplicas asks for confirm writes on this shard, so the sign-in was refused/);
      await expect(store.create(digest(2), record())).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      expect(await admin.exists(`${prefix}${digest(2)}`)).toBe(0); // refused before it was sent
      // The master wrote the first before WAIT: the cookie was never given, and a removal is
      // reported, unconfirmed (no replica could undo it now).
      expect(await store.delete(digest(1))).toEqual(record());
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/confirmed the sign-in on 0 of the 1 replicas waitForReplicas asks for within 100 ms/);
    });

    it('follows one time bound: two servers sharing a store must agree on storeTimeoutMs', () => {
      const store = new RedisSessionStore({ client: admin, prefix: freshPrefix() });
      const quiet = { warn() {}, error() {} };
      createIdleSession({ store, storeTimeoutMs: 1_500, sweepIntervalMs: 0, logger: quiet });
      expect(() => createIdleSession({ store, storeTimeoutMs: 1_500, sweepIntervalMs: 0, logger: quiet })).not.toThrow();
      expect(() => createIdleSession({ store, storeTimeoutMs: 2_000, sweepIntervalMs: 0, logger: quiet })).toThrow(/storeTimeoutMs 1500, not 2000/);
    });
  });

  describe('sharded (shards > 1)', () => {
    // Across shards a sign-in reads the limits, creates, then removes the surplus: not one atomic
    // step, so racing sign-ins may overshoot, and the next sign-in removes what is over.
    it('enforces maxPerSubject eventually: racing sign-ins may overshoot, the next one trims to the limit, each removal reported once', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix, shards: 16 });
      const racing = await Promise.all(range(6).map((i) => store.create(digest(i), record({ createdAt: T0 + i }), 2)));
      const held = (await store.listSubject('alice', T0 + 10)).map((s) => s.key);
      expect(held.length).toBeGreaterThanOrEqual(2);
      const replaced = [...racing.flat(), ...(await store.create(digest(9), record({ createdAt: T0 + 9 }), 2))].map((s) => s.key);
      const left = (await store.listSubject('alice', T0 + 10)).map((s) => s.key);
      expect(left).toHaveLength(2);
      expect(left.at(-1)).toBe(digest(9));
      expect([...left, ...replaced].sort()).toEqual([...range(6).map(digest), digest(9)].sort()); // each once
      for (const key of replaced) expect(await store.get(key, T0 + 10)).toEqual({ endedBy: 'replaced' });
    });
  });

  describe('expiry claims', () => {
    it('gets past a backlog of extended sessions larger than one script examines', async () => {
      const prefix = freshPrefix();
      const store = new RedisSessionStore({ client: admin, prefix });
      const live = 2_500;
      // Keepalives are judged at the time Redis runs them, and 2 500 queued on one connection
      // take a while: leave them a minute before the deadline.
      await Promise.all(Array.from({ length: live }, (_, i) => store.create(digest(i), record({ idleDeadlineAt: T0 + 60_000 }))));
      await Promise.all(Array.from({ length: live }, (_, i) => store.extend(digest(i), T0 + 900_000, T0)));
      await Promise.all([1, 2, 3].map((i) => store.create(digest(live + i), record({ idleDeadlineAt: T0 + 70_000 }))));
      const ended = await store.takeExpired(T0 + 100_000, 500);
      expect(ended.map((e) => e.key).sort()).toEqual([digest(live + 1), digest(live + 2), digest(live + 3)]);
      expect(await admin.zCount(`${prefix}#deadlines`, T0 + 900_000, T0 + 900_000)).toBe(live);
    });

    it('hands each ended session to exactly one of several clients claiming at once', async () => {
      const prefix = freshPrefix();
      const stores = await Promise.all([1, 2, 3].map(async () => new RedisSessionStore({ client: await connect(), prefix })));
      const count = 1_200;
      await Promise.all(Array.from({ length: count }, (_, i) => stores[0]!.create(digest(i), record({ idleDeadlineAt: T0 + i }))));
      const claimed = await claimUntilDrained(stores, T0 + count, 100);
      expect(claimed).toHaveLength(count);
      expect(new Set(claimed).size).toBe(count);
    });
  });

  describe('outage', () => {
    const quiet = { warn: vi.fn(), error: vi.fn() };
    const BOUND_MS = 300;
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy(new URL(REDIS_URL));
    });
    afterAll(() => proxy.close());

    async function setupApp() {
      // The client as docs/redis.md recommends, except that the offline queue stays on (the
      // default): the one time bound must keep queued commands from running late.
      const client = await connect({ url: proxy.url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
      const store = new RedisSessionStore({ client, prefix: freshPrefix() });
      const server = createTestApp({ store, storeTimeoutMs: BOUND_MS, logger: quiet });
      const send = async (method: string, path: string, cookie?: string): Promise<Response> =>
        server.send(method, path, {
          headers: { 'Sec-Fetch-Site': 'same-origin' },
          ...(cookie ? { cookie } : {}),
          ...(path === '/login' ? { body: '{"username":"alice"}' } : {}),
        });
      async function untilAnswered(cookie: string): Promise<Response> {
        const deadline = Date.now() + 5_000;
        for (;;) {
          const response = await send('GET', '/session', cookie);
          if (response.status !== 503 || Date.now() > deadline) return response;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const signIn = async () => (await server.signIn()).cookie;
      return { idle: server.idle, ended: server.ended, send, signIn, untilAnswered, advance: server.advance };
    }

    async function expectUnavailable(...pending: Promise<Response>[]) {
      for (const response of await Promise.all(pending)) {
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ state: 'unavailable', error: 'store-unavailable' });
        expect(response.headers.get('Set-Cookie')).toBeNull();
      }
    }

    for (const mode of ['refuse', 'stall'] as const) {
      it(`answers 503 only while Redis ${mode === 'refuse' ? 'refuses connections' : 'stops answering'}, then again by itself`, async () => {
        const { idle, ended, send, signIn, untilAnswered, advance } = await setupApp();
        const cookie = await signIn();
        proxy.cut(mode);
        for (let round = 0; round < 2; round++) {
          advance(1_000);
          await expectUnavailable(send('GET', '/session', cookie), send('POST', '/session/keepalive', cookie), send('GET', '/app', cookie));
        }
        await new Promise((resolve) => setTimeout(resolve, 100)); // every keepalive sent is now past the bound
        proxy.restore();
        const back = await untilAnswered(cookie);
        expect(back.status).toBe(200);
        // Refused connections: the keepalives were never sent. A stall: they were, and Redis
        // refused them when the bytes arrived, past the bound. Either way the 503 changed nothing.
        expect(await back.json()).toMatchObject({ state: 'active', remainingMs: IDLE - 2_000 });
        expect((await send('POST', '/session/keepalive', cookie)).status).toBe(200);

        // Signing in and out fail as plainly; a sign-out Redis receives late still lands, and
        // its onSessionEnd fires once, when its answer arrives.
        proxy.cut(mode);
        await expectUnavailable(send('POST', '/session/logout', cookie), send('POST', '/login', cookie));
        expect(await idle.sweepExpired().catch(() => 'unavailable')).toBe('unavailable');
        proxy.restore();
        // Whether the refused logout reached Redis depends on whether the client had noticed the
        // dead connection (then it queued the command and sent it on reconnect) or wrote it to the
        // dead socket (then it was lost). Either way the client saw 503 and retries, as the SDK does.
        if ((await untilAnswered(cookie)).status === 200) {
          expect(mode).toBe('refuse'); // a stall always delivers the bytes late
          expect((await send('POST', '/session/logout', cookie)).status).toBe(200);
        }
        expect((await send('GET', '/session', cookie)).status).toBe(401);
        await vi.waitFor(async () => {
          await idle.sweepExpired();
          expect(ended.map((e) => e.reason)).toEqual(['signed-out']);
        });
        expect(await idle.sweepExpired()).toBe(0);
        expect(ended.map((e) => e.reason)).toEqual(['signed-out']);
        expect((await send('GET', '/session', await signIn())).status).toBe(200);
      });
    }

    it('reports sessions claimed by a sweep whose answer came after the bound, once, when it arrives', async () => {
      const { idle, ended, signIn, advance } = await setupApp();
      await signIn();
      advance(IDLE);
      proxy.cut('hold-replies'); // Redis runs the claim at once; its answer is held
      await expect(idle.sweepExpired()).rejects.toThrow(/session store/);
      // Until that answer arrives no other claim is sent behind it.
      await expect(idle.sweepExpired()).rejects.toThrow(/previous expiry claim/);
      expect(ended).toEqual([]);
      proxy.restore();
      await vi.waitFor(() => expect(ended.map((e) => [e.reason, e.endedAt])).toEqual([['idle', T0 + IDLE]]));
      expect(await idle.sweepExpired()).toBe(0);
      expect(ended).toHaveLength(1);
    });

    it('claims nothing with a sweep that reaches Redis after the bound; the next sweep ends the session, once', async () => {
      const { idle, ended, signIn, untilAnswered, advance } = await setupApp();
      await signIn();
      advance(IDLE);
      proxy.cut('stall');
      await expect(idle.sweepExpired()).rejects.toThrow(/session store/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      proxy.restore(); // Redis now receives the claim, past the bound, and refuses it
      expect((await untilAnswered('idle_session=x'.padEnd(56, 'x'))).status).toBe(401);
      await vi.waitFor(async () => expect(await idle.sweepExpired()).toBe(1));
      expect(ended.map((e) => e.reason)).toEqual(['idle']);
      expect(await idle.sweepExpired()).toBe(0);
      expect(ended.map((e) => e.reason)).toEqual(['idle']);
    });

    it('withdraws a command queued while Redis is away once the bound has passed, rather than keep it until Redis is back', async () => {
      const client = await connect({ url: proxy.url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
      await expectQueuedCommandWithdrawn({ client, proxy, prefix: freshPrefix(), boundMs: BOUND_MS });
    });

    it('gives no withdrawal signal to a client that fails at once while Redis is away (disableOfflineQueue), which still answers at once then, and one to a queueing client only while Redis is away', async () => {
      const given: { abortSignal?: AbortSignal }[] = [];
      const watched = (client: RedisSessionClient) =>
        new Proxy(client, {
          get(target, key) {
            if (key === 'withCommandOptions') return (options: { abortSignal?: AbortSignal; timeout: number }) => (given.push(options), target.withCommandOptions(options));
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      const offlineQueue = await connect({ url: proxy.url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
      const failsAtOnce = await connect({ url: proxy.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
      const queueing = new RedisSessionStore({ client: watched(offlineQueue), prefix: freshPrefix() });
      queueing.adoptTimeLimit(BOUND_MS);
      await queueing.get(testKey(1), T0);
      // Ready: its commands are written at once, there is nothing to withdraw.
      expect(given.filter((options) => options.abortSignal !== undefined)).toEqual([]);
      given.length = 0;
      const store = new RedisSessionStore({ client: watched(failsAtOnce), prefix: freshPrefix() });
      store.adoptTimeLimit(BOUND_MS);
      await store.get(testKey(1), T0);
      expect(given.length).toBeGreaterThan(0);
      expect(given.filter((options) => options.abortSignal !== undefined)).toEqual([]);
      proxy.cut('refuse');
      await vi.waitFor(() => expect(failsAtOnce.isReady).toBe(false));
      const startedAt = Date.now();
      await expect(store.get(testKey(1), T0)).rejects.toThrow();
      expect(Date.now() - startedAt).toBeLessThan(BOUND_MS); // refused at once, not held to the bound
      expect(given.filter((options) => options.abortSignal !== undefined)).toEqual([]);
      // The contrast: a queueing client, Redis away, queues the command, under a signal that withdraws it.
      await vi.waitFor(() => expect(offlineQueue.isReady).toBe(false));
      const queued = queueing.get(testKey(1), T0);
      expect(given.some((options) => options.abortSignal !== undefined)).toBe(true);
      await expect(queued).rejects.toBeInstanceOf(Error); // withdrawn, or failed with the connection attempt
      proxy.restore();
      await vi.waitFor(() => expect(failsAtOnce.isReady && offlineQueue.isReady).toBe(true), { timeout: 5_000 });
    });

    it('does not let a keepalive refused during the outage revive the session once Redis is back', async () => {
      const { idle, ended, send, signIn, untilAnswered, advance } = await setupApp();
      const cookie = await signIn();
      proxy.cut('refuse');
      advance(IDLE - 1);
      expect((await send('POST', '/session/keepalive', cookie)).status).toBe(503);
      advance(2); // the session ends while Redis is away
      await new Promise((resolve) => setTimeout(resolve, 250)); // past the store's command timeout
      proxy.restore();
      expect((await untilAnswered(cookie)).status).toBe(401);
      expect(await idle.sweepExpired()).toBe(1);
      expect(ended.map((e) => e.reason)).toEqual(['idle']);
    });
  });
});

describe('RedisSessionStore on a Redis older than 7.0', () => {
  it('says which Redis it needs when the server cannot read script flags', async () => {
    const compileError = new Error("ERR Error compiling script (new function): user_script:1: unexpected symbol near '#'");
    const client = {
      hmGet: async () => [],
      evalSha: async () => Promise.reject(new Error('NOSCRIPT No matching script.')),
      eval: async (source: string) => (source.startsWith('#!') ? Promise.reject(compileError) : ['1700000000', '0']),
      withCommandOptions: () => client,
    };
    const store = new RedisSessionStore({ client });
    await expect(store.takeExpired(T0, 10)).rejects.toThrow(/needs Redis 7\.0 or later \(or Valkey 7\.2 or later\)/);
  });
});
