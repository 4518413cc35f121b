/**
 * The HTTP servers that `bench/server.ts` loads, one per child process, so that the
 * load generator (autocannon, in the parent) never shares an event loop with the server
 * it measures.
 *
 * Run as: node --import tsx bench/server-targets.ts <target> [sessions]
 * It listens on a free port on 127.0.0.1 and reports `{ port, sessionIds }` over the IPC channel.
 * Every target answers `POST /login` (sets a session cookie) and
 * `POST /session/keepalive` with body `{"idleMs":0}` (touches the session, answers JSON).
 * `bare` and the idle-logout targets also answer `GET /app`, an app route: idle-logout's reads
 * `c.var.getSession()` through `idle.middleware` (401 without a live session), bare answers the
 * same JSON without one. With `[sessions]`, an idle-logout target (and bare-session) first files
 * that many live sessions, one per subject, and sends their ids (`sessionIds`) so the bench can spread its
 * requests over all of them at random. The Redis target files them under `BENCH_REDIS_PREFIX`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { DEFAULT_BASE_PATH, KEEPALIVE_PATH, errorBody, parseKeepaliveBody, statusBody } from '../protocol/index.ts';
import type { IdleSessionEnv, SessionStore } from '../server/index.ts';

export const benchTargetNames = ['bare', 'bare-redis', 'bare-session', 'keepalive', 'keepalive-redis', 'express-session', 'hono-sessions'] as const;
export type BenchTargetName = (typeof benchTargetNames)[number];

// Long enough that no seeded session ends while the bench runs (the background rows never extend).
const idleTimeoutMs = 1_800_000;
const warningMs = 60_000;

const keepalivePath = DEFAULT_BASE_PATH + KEEPALIVE_PATH;

/** What every keepalive row answers: the protocol's status body for a session `idleMs` idle. */
function liveAnswer(body: string) {
  const parsed = parseKeepaliveBody(body);
  const idleMs = 'idleMs' in parsed ? parsed.idleMs : 0;
  return statusBody({ remainingMs: idleTimeoutMs - idleMs, idleTimeoutMs, warningMs, absoluteRemainingMs: 43_200_000 - idleMs });
}

function listenHono(fetch: (request: Request) => Response | Promise<Response>): Promise<number> {
  return new Promise((resolve) => {
    serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
  });
}

/** The app route's answer: who is signed in and for how long (idle-logout's from the session). */
export const APP_PATH = '/app';

/** Baseline: the same JSON parse and a status-sized JSON answer, no session at all. */
async function startBare(): Promise<Started> {
  const app = new Hono();
  app.post('/login', (c) => c.json({ ok: true }));
  app.get(APP_PATH, (c) => c.json({ subject: 'user-0', remainingMs: idleTimeoutMs }));
  app.post(keepalivePath, async (c) => {
    const answer = liveAnswer(await c.req.text());
    c.header('Cache-Control', 'no-store');
    return c.json(answer);
  });
  return { port: await listenHono(app.fetch) };
}

/**
 * The floor of any Redis-backed session on this machine: bare-session (below) with Redis for its
 * Map. One Hono middleware reads the cookie, awaits one HMGET of the session's hash (the fields a
 * session record has, as node-redis sends it, on the same client settings as the Redis target)
 * and offers its subject as a context variable. No hashing of the id, no deadlines, no CSRF check,
 * no activity, nothing written: what idle-logout on Redis costs beyond this row is its own; what
 * this row costs beyond bare, any session kept in Redis pays. With `sessionCount`, it first files
 * that many hashes, one per id, under BENCH_REDIS_PREFIX.
 */
async function startBareRedis(sessionCount: number): Promise<Started> {
  const { newSessionId } = await import('../server/session-id.ts');
  // Without node-redis's default per-command timeout (an AbortSignal.timeout each), which the
  // store turns off for its own commands too (server/redis-withdrawal.ts): a floor costs no extra.
  const client = (await connectRedis()).withCommandOptions({ timeout: 0 });
  const prefix = process.env.BENCH_REDIS_PREFIX ?? `idle-logout-bench:{${Date.now()}}:`;
  const sessionIds = Array.from({ length: sessionCount }, newSessionId);
  const now = Date.now();
  for (let start = 0; start < sessionIds.length; start += 1_000) {
    await Promise.all(
      sessionIds.slice(start, start + 1_000).map((id, i) =>
        client.hSet(prefix + id, { s: `user-${start + i}`, c: String(now), i: String(now + idleTimeoutMs), a: String(now + 43_200_000) }),
      ),
    );
  }
  // The same fields idle-logout's store reads for a session (server/redis-store.ts FIELDS_AND_MARK).
  const fields = ['s', 'd', 'c', 'i', 'a', 'v', 'x'];
  const app = new Hono<FloorEnv>();
  app.use(async (c, next) => {
    const cookie = c.req.header('cookie') ?? ''; // the bench sends one cookie: idle_session=<id>
    const [subject] = await client.hmGet(prefix + cookie.slice(cookie.indexOf('=') + 1), fields);
    c.set('subject', subject ?? undefined);
    await next();
  });
  app.post('/login', (c) => c.json({ ok: true }));
  floorRoutes(app);
  return { port: await listenHono(app.fetch), sessionIds };
}

/**
 * The floor of any cookie session kept in process, on this machine: the bare routes behind one
 * Hono middleware that reads the cookie, awaits its id's entry in a Map of `sessionCount` ids (a
 * session store's interface is asynchronous) and offers it as a context variable. No hashing of
 * the id, no deadlines, no CSRF check, no activity: what idle-logout on its memory store costs
 * beyond this row is its own; what this row costs beyond bare, any session middleware pays.
 */
async function startBareSession(sessionCount: number): Promise<Started> {
  const { newSessionId } = await import('../server/session-id.ts');
  const sessionIds = Array.from({ length: sessionCount }, newSessionId);
  const subjects = new Map(sessionIds.map((id, i) => [id, `user-${i}`]));
  const lookUp = async (id: string) => subjects.get(id);
  const app = new Hono<FloorEnv>();
  app.use(async (c, next) => {
    const cookie = c.req.header('cookie') ?? ''; // the bench sends one cookie: idle_session=<id>
    c.set('subject', await lookUp(cookie.slice(cookie.indexOf('=') + 1)));
    await next();
  });
  app.post('/login', (c) => {
    const id = newSessionId();
    subjects.set(id, 'alice');
    c.header('Set-Cookie', `idle_session=${id}; Path=/; HttpOnly; SameSite=Lax`);
    return c.json({ ok: true });
  });
  floorRoutes(app);
  return { port: await listenHono(app.fetch), sessionIds };
}

/** What a floor's middleware offers its routes: the cookie's subject, if it names a session. */
type FloorEnv = { Variables: { subject: string | undefined } };

/** The floors' app routes, as the bare ones but answering 401 without the middleware's subject. */
function floorRoutes(app: Hono<FloorEnv>): void {
  app.get(APP_PATH, (c) => {
    const subject = c.get('subject');
    return subject ? c.json({ subject, remainingMs: idleTimeoutMs }) : c.json(errorBody('unknown-session'), 401);
  });
  app.post(keepalivePath, async (c) => {
    const answer = liveAnswer(await c.req.text());
    if (!c.get('subject')) return c.json(errorBody('unknown-session'), 401);
    c.header('Cache-Control', 'no-store');
    return c.json(answer);
  });
}

/** A node-redis client as the Redis target uses it (the bench's Redis at REDIS_URL or 127.0.0.1:6379). */
async function connectRedis() {
  const { createClient } = await import('redis');
  const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', disableOfflineQueue: true, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => {}); // a failed connect rejects connect() below; the row then says why
  await client.connect();
  return client;
}

/** What a target reports once it listens: its port, and the ids of the sessions it filed. */
interface Started {
  port: number;
  sessionIds?: string[];
}

/**
 * Files `count` live sessions in `store` as sign-in does (a fresh id, the record under its SHA-256
 * key), one subject each, `concurrency` at a time (a network store then fills in seconds).
 */
async function seedSessions(store: SessionStore, count: number, concurrency: number): Promise<string[]> {
  const { newSessionId, storeKeyFor } = await import('../server/session-id.ts');
  const { newSessionRecord } = await import('../server/session.ts');
  const schedule = { idleTimeoutMs, warningMs, absoluteTimeoutMs: 43_200_000 };
  const ids = Array.from({ length: count }, newSessionId);
  // On a loaded machine a Redis sign-in can wait past the time bound and be refused (503): try
  // that one again, a few times, rather than lose the row.
  const create = async (id: string, subject: string, triesLeft = 3): Promise<void> => {
    try {
      await store.create(storeKeyFor(id), newSessionRecord(subject, undefined, Date.now(), schedule));
    } catch (error) {
      if (triesLeft <= 1 || !(error instanceof Error && error.name === 'SessionStoreUnavailableError')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await create(id, subject, triesLeft - 1);
    }
  };
  for (let start = 0; start < count; start += concurrency) {
    await Promise.all(ids.slice(start, start + concurrency).map((id, i) => create(id, `user-${start + i}`)));
  }
  return ids;
}

/** idle-logout's middleware and routes on `store`, as an app mounts them, with a real clock. */
async function listenIdleLogout(store: SessionStore, sessionCount: number, seedConcurrency: number): Promise<Started> {
  const { createIdleSession } = await import('../server/index.ts');
  const idle = createIdleSession({ store, idleTimeoutMs, warningMs });
  const app = new Hono<IdleSessionEnv>();
  app.use(idle.middleware);
  app.route('/', idle.routes);
  app.post('/login', async (c) => {
    await idle.signIn(c, 'alice');
    return c.json({ ok: true });
  });
  app.get(APP_PATH, async (c) => {
    const session = await c.var.getSession();
    if (!session) return c.json(errorBody('unknown-session'), 401);
    return c.json({ subject: session.subject, remainingMs: session.remainingMs });
  });
  const sessionIds = sessionCount > 0 ? await seedSessions(store, sessionCount, seedConcurrency) : undefined;
  return { port: await listenHono(app.fetch), ...(sessionIds ? { sessionIds } : {}) };
}

/** idle-logout on its embedded memory store. */
async function startKeepalive(sessionCount: number): Promise<Started> {
  const { MemorySessionStore } = await import('../server/index.ts');
  return listenIdleLogout(new MemorySessionStore({ maxSessions: 2_000_000 }), sessionCount, 10_000);
}

/**
 * idle-logout on the Redis store, at REDIS_URL or 127.0.0.1:6379, under BENCH_REDIS_PREFIX (the
 * parent picks one per run and deletes its keys afterwards: the Redis may be shared).
 */
async function startKeepaliveRedis(sessionCount: number): Promise<Started> {
  const { RedisSessionStore } = await import('../server/redis.ts');
  const client = await connectRedis();
  const prefix = process.env.BENCH_REDIS_PREFIX ?? `idle-logout-bench:{${Date.now()}}:`;
  // A short grace: should the parent die before it cleans up, the records go by themselves soon.
  return listenIdleLogout(new RedisSessionStore({ client, prefix, expiryGraceMs: 60_000 }), sessionCount, 100);
}

/** express 5 + express-session with rolling cookies on its MemoryStore. */
async function startExpressSession(): Promise<Started> {
  const { default: express } = await import('express');
  const { default: session } = await import('express-session');
  const app = express();
  app.use(express.text({ type: 'application/json' })); // parsed by the protocol's parser below, as the other rows
  app.use(
    session({
      secret: 'bench-secret-bench-secret-bench-secret',
      rolling: true,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: idleTimeoutMs },
    }),
  );
  app.post('/login', (req, res) => {
    (req.session as unknown as { subject: string }).subject = 'alice';
    res.json({ ok: true });
  });
  app.post(keepalivePath, (req, res) => {
    if (!(req.session as unknown as { subject?: string }).subject) {
      res.status(401).json(errorBody('unknown-session'));
      return;
    }
    // rolling: true re-sets the cookie and express-session touches the store after the answer.
    res.set('Cache-Control', 'no-store').json(liveAnswer(String(req.body ?? '')));
  });
  return new Promise((resolve) => {
    const server: Server = app.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port }));
  });
}

/** hono-sessions 0.8 on its MemoryStore, configured as its README recommends (encrypted cookie). */
async function startHonoSessions(): Promise<Started> {
  const { sessionMiddleware, MemoryStore } = await import('hono-sessions');
  const app = new Hono<{ Variables: { session: import('hono-sessions').Session<{ subject: string }> } }>();
  app.use(
    '*',
    sessionMiddleware({
      store: new MemoryStore(),
      encryptionKey: 'bench-encryption-key-at-least-32-characters',
      expireAfterSeconds: idleTimeoutMs / 1000,
      autoExtendExpiration: true,
      cookieOptions: { sameSite: 'Lax', path: '/', httpOnly: true },
    }),
  );
  app.post('/login', (c) => {
    c.get('session').set('subject', 'alice');
    return c.json({ ok: true });
  });
  app.post(keepalivePath, async (c) => {
    const answer = liveAnswer(await c.req.text());
    const session = c.get('session');
    if (!session.get('subject')) return c.json(errorBody('unknown-session'), 401);
    // autoExtendExpiration (the default) already moved the expiry and access time in the middleware.
    c.header('Cache-Control', 'no-store');
    return c.json(answer);
  });
  return { port: await listenHono(app.fetch) };
}

const starters: Record<BenchTargetName, (sessionCount: number) => Promise<Started>> = {
  bare: startBare,
  'bare-redis': startBareRedis,
  'bare-session': startBareSession,
  keepalive: startKeepalive,
  'keepalive-redis': startKeepaliveRedis,
  'express-session': startExpressSession,
  'hono-sessions': startHonoSessions,
};

/**
 * V8's CPU profiler (what `node --cpu-prof` writes) over a window the parent chooses, so that
 * filing the sessions at start-up is not in the profile: bench/profile-server.ts.
 */
const profiler = {
  session: undefined as import('node:inspector/promises').Session | undefined,
  async start(): Promise<void> {
    const { Session } = await import('node:inspector/promises');
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 100 });
    await this.session.post('Profiler.start');
  },
  async stop(): Promise<unknown> {
    const { profile } = await this.session!.post('Profiler.stop');
    this.session!.disconnect();
    return profile;
  },
};

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const name = process.argv[2] as BenchTargetName;
  const start = starters[name];
  if (!start) {
    console.error(`unknown bench target "${name}"; use one of ${benchTargetNames.join(', ')}`);
    process.exit(2);
  }
  // The parent owns our lifetime: when its IPC channel closes (it exited or was killed), so do we.
  process.on('disconnect', () => process.exit(0));
  // CPU time this server has used, so the parent can work out CPU per request: unlike req/s,
  // that figure barely moves when other processes compete for the same cores.
  process.on('message', (message) => {
    if (message === 'cpu-usage') process.send?.({ cpuUsage: process.cpuUsage() });
    else if (message === 'profile-start') void profiler.start().then(() => process.send?.({ profileStarted: true }));
    else if (message === 'profile-stop') void profiler.stop().then((profile) => process.send?.({ profile }));
  });
  start(Number(process.argv[3] ?? 0)).then(
    (started) => process.send?.(started),
    (error: unknown) => {
      process.send?.({ error: error instanceof Error ? error.stack ?? error.message : String(error) });
      process.exit(1);
    },
  );
}
