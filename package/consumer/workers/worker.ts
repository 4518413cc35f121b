// The README's Workers form: no sweeper of its own (sweepIntervalMs: 0), a Cron Trigger's
// `scheduled` handler sweeps. A short schedule, so that the test sees a session end by the sweep.
import { Hono } from 'hono';
import { createIdleSession, type IdleSessionEnv } from 'idle-logout/server';

const idle = createIdleSession({
  sweepIntervalMs: 0,
  idleTimeoutMs: 2_000,
  warningMs: 1_000,
  logger: { error: console.error, warn: () => {} }, // not the WCAG note about this short warning
  onSessionEnd: ({ subject, reason }) => {
    console.log(`session ended: ${subject} ${reason}`);
  },
});
const app = new Hono<IdleSessionEnv>();
app.use(idle.middleware);
app.route('/', idle.routes);
app.post('/login', idle.requireSameOrigin, async (c) => {
  await idle.signIn(c, (await c.req.json<{ username: string }>()).username);
  return c.body(null, 204);
});

export default {
  fetch: app.fetch,
  scheduled: (_controller: unknown, _env: unknown, ctx: { waitUntil(promise: Promise<unknown>): void }) => ctx.waitUntil(idle.sweepExpired()),
};
