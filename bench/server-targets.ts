/**
 * The HTTP servers that `bench/server.ts` loads, one per child process, so that the
 * load generator (autocannon, in the parent) never shares an event loop with the server
 * it measures.
 *
 * Run as: node --import tsx bench/server-targets.ts <target>
 * It listens on a free port on 127.0.0.1 and reports `{ port }` over the IPC channel.
 * Every target answers `POST /login` (sets a session cookie) and
 * `POST /session/keepalive` with body `{"idleMs":0}` (touches the session, answers JSON).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { DEFAULT_BASE_PATH, KEEPALIVE_PATH, errorBody, parseKeepaliveBody, statusBody } from '../protocol/index.ts';

export const benchTargetNames = ['bare', 'keepalive', 'keepalive-redis', 'express-session', 'hono-sessions'] as const;
export type BenchTargetName = (typeof benchTargetNames)[number];

const idleTimeoutMs = 300_000;
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

/** Baseline: the same JSON parse and a status-sized JSON answer, no session at all. */
async function startBare(): Promise<number> {
  const app = new Hono();
  app.post('/login', (c) => c.json({ ok: true }));
  app.post(keepalivePath, async (c) => {
    const answer = liveAnswer(await c.req.text());
    c.header('Cache-Control', 'no-store');
    return c.json(answer);
  });
  return listenHono(app.fetch);
}

/** idle-logout's middleware and routes on `store`, as an app mounts them, with a real clock. */
async function listenIdleLogout(store: import('../server/index.ts').SessionStore): Promise<number> {
  const { createIdleSession } = await import('../server/index.ts');
  const idle = createIdleSession({ store, idleTimeoutMs, warningMs });
  const app = new Hono();
  app.use(idle.middleware);
  app.route('/', idle.routes);
  app.post('/login', async (c) => {
    await idle.signIn(c, 'alice');
    return c.json({ ok: true });
  });
  return listenHono(app.fetch);
}

/** idle-logout on its embedded memory store. */
async function startKeepalive(): Promise<number> {
  const { MemorySessionStore } = await import('../server/index.ts');
  return listenIdleLogout(new MemorySessionStore({ maxSessions: 2_000_000 }));
}

/** idle-logout on the Redis store, at REDIS_URL or 127.0.0.1:6379. */
async function startKeepaliveRedis(): Promise<number> {
  const { createClient } = await import('redis');
  const { RedisSessionStore } = await import('../server/redis.ts');
  const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', disableOfflineQueue: true, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => {}); // a failed connect rejects connect() below; the row then says why
  await client.connect();
  // Its own prefix per run; the one session it makes expires by its TTL.
  return listenIdleLogout(new RedisSessionStore({ client, prefix: `idle-logout-bench:{${Date.now()}}:` }));
}

/** express 5 + express-session with rolling cookies on its MemoryStore. */
async function startExpressSession(): Promise<number> {
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
    const server: Server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** hono-sessions 0.8 on its MemoryStore, configured as its README recommends (encrypted cookie). */
async function startHonoSessions(): Promise<number> {
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
  return listenHono(app.fetch);
}

const starters: Record<BenchTargetName, () => Promise<number>> = {
  bare: startBare,
  keepalive: startKeepalive,
  'keepalive-redis': startKeepaliveRedis,
  'express-session': startExpressSession,
  'hono-sessions': startHonoSessions,
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
  });
  start().then(
    (port) => process.send?.({ port }),
    (error: unknown) => {
      process.send?.({ error: error instanceof Error ? error.stack ?? error.message : String(error) });
      process.exit(1);
    },
  );
}
