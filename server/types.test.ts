// What app code sees in its types (checked by `tsc`, run by vitest so it also runs): the data
// type given to createIdleSession flows to c.var.session, requireSession narrows it to present,
// and the redirect mode for page routes.
import { Hono } from 'hono';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createIdleSession, type ActiveSession, type IdleSessionEnv } from './idle-session.ts';
import { createTestApp } from './testing/app.ts';

describe('types for app code', () => {
  it('createIdleSession<Data>() types c.var.session.data, signIn, updateSession and onSessionEnd', () => {
    type Data = { role: string };
    const idle = createIdleSession<Data>({
      sweepIntervalMs: 0,
      onSessionEnd: (ended) => void expectTypeOf(ended.data).toEqualTypeOf<Data | undefined>(),
    });
    const app = new Hono<IdleSessionEnv<Data>>();
    app.use(idle.middleware);
    app.route('/', idle.routes);
    app.route('/', idle.sessionRoutes);
    app.get('/me', idle.requireSession, (c) => {
      expectTypeOf(c.var.session).toEqualTypeOf<ActiveSession<Data>>(); // no `!`, no undefined
      return c.text(c.var.session.data.role);
    });
    app.get('/page', idle.requireSessionOrRedirect('/login'), (c) => c.text(c.var.session.data.role));
    app.get('/maybe', async (c) => {
      expectTypeOf(await c.var.getSession()).toEqualTypeOf<ActiveSession<Data> | null>();
      return c.text('');
    });
    app.post('/login', async (c) => {
      // @ts-expect-error Data has no undefined, so signIn needs it
      await idle.signIn(c, 'alice').catch(() => {});
      // @ts-expect-error and of the right shape
      await idle.signIn(c, 'alice', { role: 1 }).catch(() => {});
      const session = await idle.signIn(c, 'alice', { role: 'admin' }, { display: { device: 'phone' } });
      expectTypeOf(session.data).toEqualTypeOf<Data>();
      // @ts-expect-error updateSession takes Data too
      await idle.updateSession(c, { rol: 'x' });
      return c.text('');
    });
    idle.close();
    // Without a type argument, data is unknown and optional. onSessionEnd may return anything (an
    // audit logger's own result, as in the README), not only void.
    const audit = { log: (subject: string, reason: string) => `${subject}:${reason}` };
    const plain = createIdleSession({ sweepIntervalMs: 0, onSessionEnd: ({ subject, reason }) => audit.log(subject, reason) });
    expectTypeOf(plain.signIn).parameter(2).toEqualTypeOf<unknown>();
    plain.close();
  });
});

describe('requireSessionOrRedirect', () => {
  it('sends a signed-out browser to the sign-in page (303, not cached) and lets a signed-in one through', async () => {
    const { app, idle, signIn } = createTestApp();
    app.get('/dashboard', idle.requireSessionOrRedirect('/login'), (c) => c.text(`Hello ${c.var.session.subject}`));
    const signedOut = await app.request('http://localhost/dashboard');
    expect([signedOut.status, signedOut.headers.get('Location'), signedOut.headers.get('Cache-Control')]).toEqual([303, '/login', 'no-store']);
    const { cookie } = await signIn('alice');
    const signedIn = await app.request('http://localhost/dashboard', { headers: { Cookie: cookie } });
    expect([signedIn.status, await signedIn.text()]).toEqual([200, 'Hello alice']);
  });
});
