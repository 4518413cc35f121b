// Two server instances on one Redis behave as one: two createIdleSession apps, each with its own
// RedisSessionStore and its own client, same prefix, one injected clock. Real Redis (REDIS_URL);
// under CI=true a missing Redis fails the run, elsewhere the suite is skipped with the reason.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createIdleSession, type IdleSessionEnv } from './idle-session.ts';
import type { EndedSession } from './options.ts';
import { RedisSessionStore } from './redis-store.ts';
import { REDIS_URL, redisUnavailableFor } from './testing/redis.ts';

const redisDown = await redisUnavailableFor('Redis instances suite');

const T0 = 1_700_000_000_000;
const IDLE = 300_000;
const quiet = { warn: vi.fn(), error: vi.fn() };
const FILE_PREFIX = `idle-logout-test:${randomUUID()}`;
const newClient = () => createClient({ url: REDIS_URL });
const clients: ReturnType<typeof newClient>[] = [];
const closers: (() => void)[] = [];
let clusterCount = 0;

async function connect() {
  const client = newClient();
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** Two instances sharing a Redis prefix and a clock; each records the sessions it saw end. */
async function twoInstances() {
  clusterCount += 1;
  const prefix = `${FILE_PREFIX}:{c${clusterCount}}:`;
  let clock = T0;

  async function instance() {
    const client = await connect();
    const ended: EndedSession[] = [];
    const idle = createIdleSession({
      store: new RedisSessionStore({ client, prefix }),
      now: () => clock,
      sweepIntervalMs: 0,
      logger: quiet,
      onSessionEnd: (session) => void ended.push(session),
    });
    closers.push(idle.close);
    const app = new Hono<IdleSessionEnv>();
    app.use(idle.middleware);
    app.route('/', idle.routes);
    app.post('/login', async (c) => {
      const { username } = await c.req.json<{ username: string }>();
      await idle.signIn(c, username);
      return c.json({ ok: true });
    });
    const send = (method: string, path: string, cookie?: string, body?: unknown) =>
      Promise.resolve(
        app.request(`http://localhost${path}`, {
          method,
          headers: { 'Sec-Fetch-Site': 'same-origin', ...(cookie ? { Cookie: cookie } : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    return {
      client,
      idle,
      ended,
      send,
      status: (cookie: string) => send('GET', '/session', cookie),
      keepalive: (cookie: string, idleMs = 0) => send('POST', '/session/keepalive', cookie, { idleMs }),
      logout: (cookie: string) => send('POST', '/session/logout', cookie),
      async signIn(username = 'alice') {
        const response = await send('POST', '/login', undefined, { username });
        expect(response.status).toBe(200);
        return response.headers.getSetCookie()[0]!.split(';')[0]!;
      },
    };
  }

  const a = await instance();
  const b = await instance();
  return {
    a,
    b,
    advance: (ms: number) => void (clock += ms),
    /** Each ended session, by subject, with the instance that reported it. */
    endings: () => [...a.ended.map((e) => ({ ...e, on: 'a' })), ...b.ended.map((e) => ({ ...e, on: 'b' }))],
  };
}

afterEach(() => {
  while (closers.length > 0) closers.pop()!();
});
afterAll(async () => {
  if (redisDown) return;
  const admin = clients[0];
  if (admin?.isOpen) {
    for await (const keys of admin.scanIterator({ MATCH: `${FILE_PREFIX}*`, COUNT: 1_000 })) if (keys.length > 0) await admin.unlink(keys);
  }
  await Promise.all(clients.map((client) => (client.isOpen ? client.close() : undefined)));
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
