// The one server app the server's tests drive: the real createIdleSession on an injected clock,
// mounted as the README shows, with the app routes the tests need, and the requests a browser
// would send. Test files add routes of their own to `app`; Redis suites pass their store.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { vi } from 'vitest';
import { createIdleSession, type IdleSessionEnv } from '../idle-session.ts';
import { MemorySessionStore } from '../memory-store.ts';
import type { EndedSession, IdleSessionOptions } from '../options.ts';
import { T0 } from './deadline-rule.ts';

export { T0 };

/** A logger whose calls tests read; reset it in afterEach. */
export const quiet = { warn: vi.fn(), error: vi.fn() };

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

/** A clock the test moves by hand, shared by every instance of one test. */
export function testClock(start = T0): Clock {
  let at = start;
  return { now: () => at, advance: (ms) => void (at += ms) };
}

export interface TestAppOptions extends IdleSessionOptions {
  /** Where `idle.routes` are mounted. Default `/`. */
  mount?: string;
  /**
   * Sign-in as the README sets it up: `requireSameOrigin` and a 1 KB body limit before the
   * handler, so a forged or oversized sign-in is refused before its body is read. Default false:
   * `signIn`'s own login-CSRF check answers.
   */
  guardSignIn?: boolean;
  /** Default: a clock of its own at T0. */
  clock?: Clock;
}

/** What a test sends: a cookie, a body, headers (without any, non-GET requests say same-origin). */
export interface Send {
  cookie?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  origin?: string;
}

/**
 * @example
 * const { signIn, keepalive, advance } = createTestApp({ idleTimeoutMs: 300_000 });
 * const { cookie } = await signIn('alice');
 * advance(100_000);
 * expect((await keepalive(cookie, { idleMs: 0 })).status).toBe(200);
 */
export function createTestApp(options: TestAppOptions = {}) {
  const { mount = '/', guardSignIn = false, clock = testClock(), ...serverOptions } = options;
  const ended: EndedSession[] = [];
  const store = serverOptions.store ?? new MemorySessionStore();
  const idle = createIdleSession({
    now: clock.now,
    sweepIntervalMs: 0,
    onSessionEnd: (session) => void ended.push(session),
    logger: quiet,
    ...serverOptions,
    store,
  });
  const app = new Hono<IdleSessionEnv>();
  app.use(idle.middleware);
  app.route(mount, idle.routes);
  app.route(mount, idle.sessionRoutes);
  const login = async (c: Context<IdleSessionEnv>) => {
    const body: unknown = await c.req.json().catch(() => null);
    const { username, device } = (typeof body === 'object' && body !== null ? body : {}) as { username?: unknown; device?: unknown };
    if (typeof username !== 'string' || username === '') return c.json({ error: 'invalid-username', message: 'Give a username.' }, 400);
    const display = typeof device === 'string' ? { display: { device } } : undefined;
    const session = await idle.signIn(c, username, username === 'admin' ? { role: 'admin' } : undefined, display);
    return c.json({ subject: session.subject });
  };
  if (guardSignIn) {
    const limit = bodyLimit({ maxSize: 1024, onError: (c) => c.json({ error: 'body-too-large', message: 'At most 1 KB.' }, 413) });
    app.post('/login', idle.requireSameOrigin, limit, login);
  } else {
    app.post('/login', login);
  }
  app.post('/bye', async (c) => {
    await idle.signOut(c);
    return c.json({ ok: true });
  });
  app.get('/app', async (c) => {
    const session = await c.var.getSession();
    return c.json({ subject: session?.subject ?? null, remainingMs: session?.remainingMs ?? null });
  });
  app.post('/app/save', async (c) => c.json({ saved: (await c.var.getSession())?.subject ?? null }));
  app.get('/me', idle.requireSession, async (c) => c.json({ subject: c.var.session.subject }));
  app.get('/signed-out', (c) => c.text('You are signed out.'));
  app.get('/idle-logout.iife.js', (c) => c.body('/* the SDK */', 200, { 'Content-Type': 'text/javascript' }));

  async function send(method: string, path: string, init: Send = {}, origin = init.origin ?? 'http://localhost') {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set('Cookie', init.cookie);
    if (method !== 'GET' && !init.headers) headers.set('Sec-Fetch-Site', 'same-origin');
    const body = init.body ?? null;
    // Streams need `duplex: 'half'` in Node's fetch (not yet in the DOM RequestInit type).
    const request = { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) };
    return app.request(`${origin}${path}`, request as RequestInit);
  }

  /** POST /login; throws unless it answered 200 with a cookie. */
  async function signIn(username = 'alice', cookie?: string, origin?: string, device?: string) {
    const response = await send('POST', '/login', { body: JSON.stringify({ username, device }), ...(cookie ? { cookie } : {}) }, origin);
    if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
    const setCookie = response.headers.getSetCookie().at(-1)!;
    return { cookie: setCookie.split(';')[0]!, setCookie, response };
  }

  const base = `${mount === '/' ? '' : mount}${idle.basePath}`;
  return {
    app,
    idle,
    store,
    ended,
    clock,
    now: clock.now,
    advance: clock.advance,
    send,
    signIn,
    status: (cookie?: string) => send('GET', base, cookie ? { cookie } : {}),
    keepalive: (cookie: string, body?: unknown) => send('POST', `${base}/keepalive`, { cookie, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
    logout: (cookie?: string) => send('POST', `${base}/logout`, cookie ? { cookie } : {}),
    /** The optional per-user routes. */
    mySessions: (cookie: string) => send('GET', `${base}/sessions`, { cookie }),
    endMySession: (cookie: string, handle: string) => send('POST', `${base}/sessions/end`, { cookie, body: JSON.stringify({ handle }) }),
    endMyOtherSessions: (cookie: string, init: Omit<Send, 'cookie'> = {}) => send('POST', `${base}/sessions/end-others`, { cookie, ...init }),
  };
}

export type TestApp = ReturnType<typeof createTestApp>;
