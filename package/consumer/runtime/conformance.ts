// The server the protocol conformance checks (protocol/testing/conformance.ts) run against under every
// runtime: the README's set-up plus what the checks need — the optional per-user routes, an app
// route that reads its session, a trusted X-Forwarded-Proto (so https is checked over plain
// http), and a short idle timeout from IDLE_TIMEOUT_MS, so that the run waits it out in seconds.
// Only idle-logout/server and hono; one file for Node, Bun, Deno and workerd.
import { Hono } from 'hono';
import { createIdleSession, type IdleSessionEnv } from 'idle-logout/server';

// Node, Bun and Deno have `process.env`; so has workerd, filled from the Worker's vars
// (`wrangler dev --var IDLE_TIMEOUT_MS:3000`).
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

function millisecondsFrom(name: string): number {
  const ms = Number(env[name]);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`${name} must be a whole number of milliseconds (a short one, e.g. 3000), got ${JSON.stringify(env[name])}`);
  return ms;
}

const idleTimeoutMs = millisecondsFrom('IDLE_TIMEOUT_MS');
const idle = createIdleSession({
  idleTimeoutMs,
  warningMs: Math.floor(idleTimeoutMs / 2),
  trustedProtoHeader: 'x-forwarded-proto',
  logger: { error: console.error, warn: () => {} }, // not the WCAG note about this short warning
});
const app = new Hono<IdleSessionEnv>();
app.use(idle.middleware);
app.route('/', idle.routes);
app.route('/', idle.sessionRoutes);
app.post('/login', idle.requireSameOrigin, async (c) => {
  await idle.signIn(c, (await c.req.json<{ username: string }>()).username);
  return c.body(null, 204);
});
app.get('/app', async (c) => c.json({ subject: (await c.var.getSession())?.subject ?? null }));

export default app;
