// Two server instances on one Redis behave as one: two createIdleSession apps, each with its own
// RedisSessionStore and its own client, same prefix, one injected clock. Real Redis (REDIS_URL);
// under CI=true a missing Redis fails the run, elsewhere the suite is skipped with the reason.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REDIS_URL, redisUnavailableFor } from './testing/redis.ts';
import { startInstance, testClock, type Instance } from './testing/redis-instance.ts';

const redisDown = await redisUnavailableFor('Redis instances suite');

const T0 = 1_700_000_000_000;
const IDLE = 300_000;
const FILE_PREFIX = `idle-logout-test:${randomUUID()}`;
const instances: Instance[] = [];
let clusterCount = 0;

/** Two instances sharing a Redis prefix and a clock; each records the sessions it saw end. */
async function twoInstances() {
  clusterCount += 1;
  const prefix = `${FILE_PREFIX}:{c${clusterCount}}:`;
  const clock = testClock(T0);
  const a = await startInstance({ url: REDIS_URL, prefix, clock });
  const b = await startInstance({ url: REDIS_URL, prefix, clock });
  instances.push(a, b);
  return {
    a,
    b,
    advance: clock.advance,
    /** Each ended session, by subject, with the instance that reported it. */
    endings: () => [...a.ended.map((e) => ({ ...e, on: 'a' })), ...b.ended.map((e) => ({ ...e, on: 'b' }))],
  };
}

afterEach(() => {
  for (const instance of instances) instance.idle.close();
});
afterAll(async () => {
  if (redisDown) return;
  const admin = instances.find((instance) => instance.client.isOpen)?.client;
  if (admin) {
    for await (const keys of admin.scanIterator({ MATCH: `${FILE_PREFIX}*`, COUNT: 1_000 })) if (keys.length > 0) await admin.unlink(keys);
  }
  await Promise.all(instances.map((instance) => instance.close()));
});

describe.skipIf(Boolean(redisDown))('two server instances on one Redis', () => {
  it('a session signed in on A is live on B, and a keepalive on B extends it on A', async () => {
    const { a, b, advance } = await twoInstances();
    const cookie = await a.signIn();
    advance(100_000);
    const onB = await b.status(cookie);
    expect(onB.status).toBe(200);
    expect(await onB.json()).toMatchObject({ state: 'active', remainingMs: IDLE - 100_000 });
    expect((await b.keepalive(cookie, 1_000)).status).toBe(200);
    advance(50_000);
    expect(await (await a.status(cookie)).json()).toMatchObject({ remainingMs: IDLE - 1_000 - 50_000 });
  });

  it('a logout on A is a 401 on B, and its callback fires once', async () => {
    const { a, b, endings } = await twoInstances();
    const cookie = await a.signIn();
    expect((await a.logout(cookie)).status).toBe(200);
    expect((await b.status(cookie)).status).toBe(401);
    expect((await b.keepalive(cookie)).status).toBe(401);
    expect((await b.logout(cookie)).status).toBe(200);
    expect(endings().map((e) => [e.on, e.reason])).toEqual([['a', 'signed-out']]);
  });

  it('ending all of a user’s sessions on A ends the one B serves: B answers 401 session-revoked, and each end fires once', async () => {
    const { a, b, endings } = await twoInstances();
    const onB = [await b.signIn('alice'), await b.signIn('alice')];
    const bobOnB = await b.signIn('bob');
    const onA = await a.signIn('alice');
    // The user's list is the same on both instances.
    expect(await b.idle.listSessions('alice')).toHaveLength(3);
    expect(await a.idle.endSessions('alice')).toBe(3);
    for (const cookie of [...onB, onA]) {
      const answer = await b.status(cookie);
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ state: 'signed-out', error: 'session-revoked' });
      expect((await b.keepalive(cookie)).status).toBe(401);
    }
    expect((await b.status(bobOnB)).status).toBe(200);
    await Promise.all([a.idle.sweepExpired(), b.idle.sweepExpired()]);
    expect(endings().map((e) => [e.on, e.subject, e.reason])).toEqual([['a', 'alice', 'revoked'], ['a', 'alice', 'revoked'], ['a', 'alice', 'revoked']]);
  });

  it('the per-subject limit holds across instances: a sign-in on A past it replaces the oldest, signed in on B', async () => {
    const { a, b, advance, endings } = await twoInstances();
    const oldest = await b.signIn('alice');
    for (let i = 0; i < 9; i++) {
      advance(1_000); // "oldest" is by sign-in time
      await (i % 2 ? a : b).signIn('alice');
    }
    advance(1_000);
    await a.signIn('alice');
    expect(await (await b.status(oldest)).json()).toMatchObject({ error: 'session-replaced' });
    expect(await b.idle.listSessions('alice')).toHaveLength(10);
    expect(endings().map((e) => [e.on, e.reason])).toEqual([['a', 'replaced']]);
  });

  it('one subject signing in 1 000 times across both instances holds 10 sessions; at the store’s cap a user at their limit still signs in, a new one gets 503', async () => {
    clusterCount += 1;
    const prefix = `${FILE_PREFIX}:{c${clusterCount}}:`;
    const clock = testClock(T0);
    const [a, b] = [await startInstance({ url: REDIS_URL, prefix, clock, store: { maxSessions: 12 } }), await startInstance({ url: REDIS_URL, prefix, clock, store: { maxSessions: 12 } })];
    instances.push(a, b);
    for (let i = 0; i < 1_000; i++) {
      clock.advance(1);
      await (i % 2 ? a : b).signIn('mallory');
    }
    expect(await a.idle.listSessions('mallory')).toHaveLength(10);
    expect(a.ended.length + b.ended.length).toBe(990);
    await a.signIn('alice');
    await b.signIn('bob'); // 12: the store is full
    expect((await a.login('carol')).status).toBe(503);
    clock.advance(1);
    expect((await b.login('mallory')).status).toBe(200); // replaces mallory's oldest
    expect(await b.idle.listSessions('mallory')).toHaveLength(10);
  }, 60_000);

  it('200 keepalives on A and B racing a logout never revive the session', async () => {
    const { a, b, advance, endings } = await twoInstances();
    const cookie = await a.signIn();
    advance(1_000);
    const keepalives = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).keepalive(cookie, i));
    const logout = (keepalives.length % 2 === 0 ? a : b).logout(cookie);
    const later = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? b : a).keepalive(cookie));
    const answers = await Promise.all([...keepalives, ...later]);
    expect((await logout).status).toBe(200);
    expect(answers.every((r) => r.status === 200 || r.status === 401)).toBe(true);
    for (const instance of [a, b]) {
      expect((await instance.status(cookie)).status).toBe(401);
      expect((await instance.keepalive(cookie)).status).toBe(401);
    }
    advance(10 * IDLE);
    await Promise.all([a.idle.sweepExpired(), b.idle.sweepExpired()]);
    expect(endings().map((e) => e.reason)).toEqual(['signed-out']);
  });

  it('both sweeping at once, every ended session fires its callback exactly once, on one instance', async () => {
    const { a, b, advance, endings } = await twoInstances();
    const count = 700; // more than one sweep batch (500)
    const cookies = await Promise.all(Array.from({ length: count }, (_, i) => (i % 2 ? a : b).signIn(`user${i}`)));
    // A third of them stay active; the rest are never requested again.
    advance(IDLE - 1_000);
    await Promise.all(cookies.filter((_, i) => i % 3 === 0).map((cookie, i) => (i % 2 ? a : b).keepalive(cookie)));
    advance(1_000);
    const [fromA, fromB] = await Promise.all([a.idle.sweepExpired(), b.idle.sweepExpired()]);
    expect(fromA + fromB).toBe(count - Math.ceil(count / 3));
    advance(IDLE);
    await Promise.all([a.idle.sweepExpired(), b.idle.sweepExpired(), a.idle.sweepExpired()]);
    const subjects = endings().map((e) => e.subject);
    expect(subjects).toHaveLength(count);
    expect(new Set(subjects).size).toBe(count);
    expect(endings().every((e) => e.reason === 'idle')).toBe(true);
  });

  it('a session whose deadline passed while its instance was down ends on the other one', async () => {
    const { a, b, advance, endings } = await twoInstances();
    const cookie = await b.signIn('bob');
    b.idle.close();
    await b.client.close(); // B is down from here on
    advance(IDLE + 5_000);
    expect((await a.status(cookie)).status).toBe(401);
    expect(await a.idle.sweepExpired()).toBe(1);
    expect(endings()).toMatchObject([{ on: 'a', subject: 'bob', reason: 'idle', endedAt: T0 + IDLE + 5_000 }]);
  });
});
