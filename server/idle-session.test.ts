import { Hono, type Context } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIdleSession, type IdleSessionEnv } from './idle-session.ts';
import { MemorySessionStore } from './memory-store.ts';
import { IdleSessionOptionsError } from './option-checks.ts';
import { SessionStoreUnavailableError, type SessionStore } from './store.ts';
import { createTestApp, quiet, T0 } from './testing/app.ts';
import { answeringEveryCall, forwardTo } from './testing/store-doubles.ts';

const IDLE = 300_000;
const WARNING = 60_000;

/** A store whose calls can be held and released, to force an order between concurrent requests. */
function gatedStore(inner: SessionStore) {
  const held: { extend?: () => void } = {};
  let holdExtend = false;
  const store: SessionStore = {
    ...forwardTo(inner),
    extend: async (key, proposed, now) => {
      if (holdExtend) await new Promise<void>((resolve) => (held.extend = resolve));
      return inner.extend(key, proposed, now);
    },
  };
  return {
    store,
    holdExtends() {
      holdExtend = true;
    },
    async releaseExtend() {
      while (!held.extend) await new Promise((resolve) => setTimeout(resolve, 0));
      held.extend();
    },
  };
}

function failingStore(failure: 'throw' | 'hang' | 'throw-synchronously'): SessionStore {
  const answer = (): Promise<never> => {
    if (failure === 'throw-synchronously') throw new Error('client is closed');
    return failure === 'throw' ? Promise.reject(new Error('ECONNREFUSED')) : new Promise<never>(() => {});
  };
  return answeringEveryCall(answer);
}

afterEach(() => {
  vi.useRealTimers();
  quiet.warn.mockReset();
  quiet.error.mockReset();
});

describe('sign-in and the session cookie', () => {
  it('sets an HttpOnly, SameSite=Lax, Path=/ session cookie without an expiry, holding a 256-bit id', async () => {
    const { signIn } = createTestApp();
    const { setCookie } = await signIn();
    expect(setCookie).toMatch(/^idle_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(setCookie).not.toMatch(/Max-Age|Expires|Secure/i);
  });

  it('uses the __Host- prefix and Secure on https, and reads it back there', async () => {
    const { signIn, send } = createTestApp();
    const { setCookie, cookie } = await signIn('alice', undefined, 'https://app.example');
    expect(setCookie).toMatch(/^__Host-idle_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const status = await send('GET', '/session', { cookie }, 'https://app.example');
    expect(status.status).toBe(200);
  });

  it('gives a fresh id at every sign-in and ends the session the request carried (no fixation)', async () => {
    const { signIn, status, ended } = createTestApp();
    const first = await signIn('alice');
    const second = await signIn('alice', first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    // One Set-Cookie, the new id: not a deletion of the old one first.
    expect(second.response.headers.getSetCookie()).toEqual([expect.stringMatching(/^idle_session=[A-Za-z0-9_-]{43}; /)]);
    expect((await status(first.cookie)).status).toBe(401);
    expect((await status(second.cookie)).status).toBe(200);
    expect(ended).toEqual([expect.objectContaining({ subject: 'alice', reason: 'signed-out' })]);
  });

  it('clears the cookie when it ended the session the request carried but could not make the new one (503)', async () => {
    const store = new MemorySessionStore();
    const { signIn, send, status } = createTestApp({ store });
    const first = await signIn('alice');
    vi.spyOn(store, 'create').mockRejectedValueOnce(new SessionStoreUnavailableError('down'));
    const response = await send('POST', '/login', { cookie: first.cookie, body: JSON.stringify({ username: 'alice' }) });
    expect(response.status).toBe(503);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^idle_session=; Max-Age=0/)]);
    expect((await status(first.cookie)).status).toBe(401);
    // Without a cookie to forget, a failed sign-in sets none.
    vi.spyOn(store, 'create').mockRejectedValueOnce(new SessionStoreUnavailableError('down'));
    const fresh = await send('POST', '/login', { body: JSON.stringify({ username: 'alice' }) });
    expect(fresh.status).toBe(503);
    expect(fresh.headers.getSetCookie()).toEqual([]);
  });

  it('stores only a SHA-256 of the id, never the id itself', async () => {
    const store = new MemorySessionStore();
    const create = vi.spyOn(store, 'create');
    const { signIn } = createTestApp({ store });
    const { cookie } = await signIn();
    const id = cookie.split('=')[1]!;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id)));
    const expected = btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(create.mock.calls[0]![0]).toBe(expected);
    expect(JSON.stringify(create.mock.calls)).not.toContain(id);
  });
});

describe('GET /session (status)', () => {
  it('answers the schedule and remaining time, uncacheable, without a cookie', async () => {
    const { signIn, status, advance } = createTestApp();
    const { cookie } = await signIn();
    advance(10_000);
    const response = await status(cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.json()).toEqual({
      state: 'active',
      remainingMs: IDLE - 10_000,
      idleTimeoutMs: IDLE,
      warningMs: WARNING,
      absoluteRemainingMs: 43_200_000 - 10_000,
    });
  });

  it('never extends the session', async () => {
    const { signIn, status, advance } = createTestApp();
    const { cookie } = await signIn();
    for (let i = 0; i < 5; i++) {
      advance(59_000);
      expect((await (await status(cookie)).json()).remainingMs).toBe(IDLE - (i + 1) * 59_000);
    }
    advance(5_000);
    expect((await status(cookie)).status).toBe(401);
  });

  it('answers 401 signed-out with a reason when there is no cookie, and sets none', async () => {
    const { status } = createTestApp();
    const response = await status();
    expect(response.status).toBe(401);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.json()).toEqual({ state: 'signed-out', error: 'no-session', message: expect.any(String) });
  });

  it('answers 401 and clears a tampered or unknown cookie', async () => {
    const { status, signIn } = createTestApp();
    const { cookie } = await signIn();
    const tampered = await status(`${cookie.slice(0, -1)}!`);
    expect(tampered.status).toBe(401);
    expect((await tampered.json()).error).toBe('invalid-session');
    expect(tampered.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0/);
    const flipped = cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A');
    const unknown = await status(flipped);
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error).toBe('unknown-session');
    expect(unknown.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0/);
  });

  it('clears the cookie of a session found expired', async () => {
    const { status, signIn, advance } = createTestApp();
    const { cookie } = await signIn();
    advance(IDLE);
    const response = await status(cookie);
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0/);
  });
});

describe('POST /session/keepalive', () => {
  it('moves the deadline to now − idleMs + idleTimeoutMs', async () => {
    const { signIn, keepalive, advance, status } = createTestApp();
    const { cookie } = await signIn();
    advance(100_000);
    const response = await keepalive(cookie, { idleMs: 30_000 });
    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.json()).toMatchObject({ state: 'active', remainingMs: IDLE - 30_000, idleTimeoutMs: IDLE, warningMs: WARNING });
    expect((await (await status(cookie)).json()).remainingMs).toBe(IDLE - 30_000);
  });

  it('treats an absent body or absent idleMs as 0, floors fractions and ignores other fields', async () => {
    const { signIn, keepalive, advance } = createTestApp();
    const { cookie } = await signIn();
    advance(50_000);
    expect((await (await keepalive(cookie)).json()).remainingMs).toBe(IDLE);
    advance(50_000);
    expect((await (await keepalive(cookie, { other: 1 })).json()).remainingMs).toBe(IDLE);
    advance(50_000);
    expect((await (await keepalive(cookie, { idleMs: 1_000.9 })).json()).remainingMs).toBe(IDLE - 1_000);
  });

  it('never moves the deadline earlier', async () => {
    const { signIn, keepalive, advance } = createTestApp();
    const { cookie } = await signIn();
    advance(100_000);
    // The user was idle 250 s by the client's count: proposed deadline T0+150 s < current T0+300 s.
    expect((await (await keepalive(cookie, { idleMs: 250_000 })).json()).remainingMs).toBe(200_000);
    expect((await (await keepalive(cookie, { idleMs: 10 * IDLE })).json()).remainingMs).toBe(200_000);
  });

  it('never extends past the absolute lifetime', async () => {
    const { signIn, keepalive, advance, status } = createTestApp({ absoluteTimeoutMs: 400_000 });
    const { cookie } = await signIn();
    advance(200_000);
    expect(await (await keepalive(cookie, { idleMs: 0 })).json()).toMatchObject({ remainingMs: 200_000, absoluteRemainingMs: 200_000 });
    advance(150_000);
    expect(await (await keepalive(cookie, { idleMs: 0 })).json()).toMatchObject({ remainingMs: 50_000, absoluteRemainingMs: 50_000 });
    advance(50_000);
    expect((await keepalive(cookie, { idleMs: 0 })).status).toBe(401);
    expect((await status(cookie)).status).toBe(401);
  });

  it('never revives an expired session', async () => {
    const { signIn, keepalive, advance, status } = createTestApp();
    const { cookie } = await signIn();
    advance(IDLE);
    const response = await keepalive(cookie, { idleMs: 0 });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ state: 'signed-out', error: 'unknown-session' });
    expect(response.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0/);
    expect((await status(cookie)).status).toBe(401);
  });

  it('never revives a signed-out session', async () => {
    const { signIn, keepalive, logout, status } = createTestApp();
    const { cookie } = await signIn();
    await logout(cookie);
    expect((await keepalive(cookie, { idleMs: 0 })).status).toBe(401);
    expect((await status(cookie)).status).toBe(401);
  });

  it('answers 401 without a cookie', async () => {
    const { send } = createTestApp();
    const response = await send('POST', '/session/keepalive', { body: '{"idleMs":0}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ state: 'signed-out', error: 'no-session' });
  });
});

describe('POST /session/logout', () => {
  it('deletes the session, clears the cookie and answers signed-out', async () => {
    const { signIn, logout, status, ended } = createTestApp();
    const { cookie } = await signIn();
    const response = await logout(cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(await response.json()).toEqual({ state: 'signed-out' });
    expect(response.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax/);
    expect((await status(cookie)).status).toBe(401);
    expect(ended).toEqual([expect.objectContaining({ subject: 'alice', reason: 'signed-out' })]);
  });

  it('is idempotent: again, or with no session at all, it answers the same', async () => {
    const { signIn, logout, ended } = createTestApp();
    const { cookie } = await signIn();
    await logout(cookie);
    const again = await logout(cookie);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ state: 'signed-out' });
    const none = await logout();
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ state: 'signed-out' });
    expect(ended).toHaveLength(1);
  });

  it('wins the race against a keepalive that started first but reaches the store after it', async () => {
    const gated = gatedStore(new MemorySessionStore());
    const { signIn, keepalive, logout, status } = createTestApp({ store: gated.store });
    const { cookie } = await signIn();
    gated.holdExtends();
    const pendingKeepalive = keepalive(cookie, { idleMs: 0 });
    const logoutResponse = await logout(cookie);
    await gated.releaseExtend();
    expect(logoutResponse.status).toBe(200);
    expect((await pendingKeepalive).status).toBe(401);
    expect((await status(cookie)).status).toBe(401);
  });

  it('wins against many concurrent keepalives', async () => {
    const { signIn, keepalive, logout, status } = createTestApp();
    const { cookie } = await signIn();
    const all = await Promise.all([
      ...Array.from({ length: 50 }, () => keepalive(cookie, { idleMs: 0 })),
      logout(cookie),
      ...Array.from({ length: 50 }, () => keepalive(cookie, { idleMs: 0 })),
    ]);
    expect(all[50]!.status).toBe(200);
    expect(all.slice(51).every((r) => r.status === 401)).toBe(true);
    expect((await status(cookie)).status).toBe(401);
  });
});

describe('CSRF on the POST routes', () => {
  const routes = ['/session/keepalive', '/session/logout'];

  it.each(routes)('%s accepts Sec-Fetch-Site: same-origin', async (path) => {
    const { signIn, send } = createTestApp();
    const { cookie } = await signIn();
    expect((await send('POST', path, { cookie, headers: { 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(200);
  });

  it.each(routes)('%s refuses same-site, cross-site and none even with a matching Origin', async (path) => {
    const { signIn, send, status } = createTestApp();
    const { cookie } = await signIn();
    for (const site of ['same-site', 'cross-site', 'none']) {
      const response = await send('POST', path, { cookie, headers: { 'Sec-Fetch-Site': site, Origin: 'http://localhost' } });
      expect(response.status).toBe(403);
      expect(response.headers.get('Cache-Control')).toBe('no-store');
      expect(await response.json()).toEqual({ error: 'csrf', message: expect.stringContaining(site) });
    }
    expect((await status(cookie)).status).toBe(200); // the logout did not happen
  });

  it.each(routes)('%s falls back to Origin when Sec-Fetch-Site is absent', async (path) => {
    const { signIn, send } = createTestApp();
    const { cookie } = await signIn();
    expect((await send('POST', path, { cookie, headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await send('POST', path, { cookie, headers: { Origin: 'http://localhost' } })).status).toBe(200);
  });

  it.each(routes)('%s refuses a request with neither header', async (path) => {
    const { signIn, send } = createTestApp();
    const { cookie } = await signIn();
    const response = await send('POST', path, { cookie, headers: {} });
    expect(response.status).toBe(403);
    expect((await response.json()).error).toBe('csrf');
  });

  it('uses the configured list of origins instead of the request URL', async () => {
    const { signIn, send } = createTestApp({ allowedOrigins: ['https://app.example'] });
    const { cookie } = await signIn();
    const path = '/session/keepalive';
    expect((await send('POST', path, { cookie, headers: { Origin: 'https://app.example' } })).status).toBe(200);
    expect((await send('POST', path, { cookie, headers: { Origin: 'http://localhost' } })).status).toBe(403);
  });

  it('guards the app’s own unsafe routes that carry the session, but lets cookie-less requests (webhooks) through', async () => {
    const { app, signIn, send, status } = createTestApp();
    app.post('/api/transfer', async (c) => c.json({ by: (await c.var.getSession())?.subject ?? null }));
    app.post('/webhooks/payment', (c) => c.json({ received: true }));
    const { cookie } = await signIn();
    const forged = await send('POST', '/api/transfer', { cookie, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error: 'csrf', message: expect.any(String) });
    const own = await send('POST', '/api/transfer', { cookie, headers: { 'Sec-Fetch-Site': 'same-origin' } });
    expect(await own.json()).toEqual({ by: 'alice' });
    const webhook = await send('POST', '/webhooks/payment', { headers: {} }); // no cookie, no browser headers
    expect(webhook.status).toBe(200);
    expect((await status(cookie)).status).toBe(200);
  });

  it('refuses a cross-site sign-in (login CSRF) with 403 JSON, and both checks can be turned off', async () => {
    const guarded = createTestApp();
    const attempts: Record<string, string>[] = [{ 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'http://evil.example' }, {}];
    for (const headers of attempts) {
      const response = await guarded.send('POST', '/login', { body: '{"username":"a"}', headers });
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await response.json()).toEqual({ error: 'csrf', message: expect.any(String) });
    }
    const open = createTestApp({ csrf: false });
    const signedIn = await open.send('POST', '/login', { body: '{"username":"a"}', headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    expect((await open.send('POST', '/bye', { cookie, headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(200);
  });

  it('rejects a malformed allowedOrigins entry, saying what to write', () => {
    expect(() => createIdleSession({ allowedOrigins: ['https://app.example/'] })).toThrow(/allowedOrigins entries must be origins/);
  });
});

describe('bad input gets a 4xx with a JSON reason', () => {
  it.each([
    ['not JSON', '{"idleMs":', 400, 'invalid-json'],
    ['an array', '[1]', 400, 'invalid-body'],
    ['null', 'null', 400, 'invalid-body'],
    ['a string idleMs', '{"idleMs":"5"}', 400, 'invalid-body'],
    ['a negative idleMs', '{"idleMs":-1}', 400, 'invalid-body'],
    ['a boolean idleMs', '{"idleMs":true}', 400, 'invalid-body'],
    ['an over-large body', JSON.stringify({ idleMs: 0, pad: 'x'.repeat(1100) }), 413, 'body-too-large'],
  ])('keepalive with %s', async (_, body, statusCode, error) => {
    const { signIn, send, status } = createTestApp();
    const { cookie } = await signIn();
    const response = await send('POST', '/session/keepalive', { cookie, body });
    expect(response.status).toBe(statusCode);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(await response.json()).toEqual({ error, message: expect.any(String) });
    expect((await status(cookie)).status).toBe(200);
  });

  it('keepalive with a streamed body that grows past 1 KB, with no Content-Length', async () => {
    const { signIn, send } = createTestApp();
    const { cookie } = await signIn();
    const chunk = new TextEncoder().encode('x'.repeat(400));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await send('POST', '/session/keepalive', { cookie, body });
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(10); // it stopped reading
  });

  it('wrong methods on the protocol paths get 405 with Allow', async () => {
    const { send } = createTestApp();
    const response = await send('GET', '/session/keepalive');
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('POST');
    expect((await response.json()).error).toBe('method-not-allowed');
    expect((await send('DELETE', '/session', { headers: { 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(405);
  });
});

describe('a failing store means 503, never signed in and never signed out', () => {
  it.each(['throw', 'hang', 'throw-synchronously'] as const)('when the store calls %s', async (failure) => {
    const { send } = createTestApp({ store: failingStore(failure), storeTimeoutMs: 20 });
    const cookie = `idle_session=${'a'.repeat(43)}`;
    const answers = await Promise.all([
      send('GET', '/session', { cookie }),
      send('POST', '/session/keepalive', { cookie, body: '{"idleMs":0}' }),
      send('POST', '/session/logout', { cookie }),
      send('GET', '/app', { cookie }),
      send('POST', '/login', { cookie, body: '{"username":"a"}' }),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(503);
      expect(response.headers.get('Cache-Control')).toBe('no-store');
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(await response.json()).toMatchObject({ state: 'unavailable', error: 'store-unavailable' });
    }
  });

  it('logs a store outage seen by the sweeper once per window too', async () => {
    vi.useFakeTimers();
    const { idle } = createTestApp({ store: failingStore('throw'), sweepIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(quiet.error).toHaveBeenCalledTimes(1);
    expect(quiet.error.mock.calls[0]![0]).toMatch(/session store unavailable/);
    idle.close();
  });

  it('logs an outage once per window, not once per request', async () => {
    const { send, advance } = createTestApp({ store: failingStore('throw') });
    const cookie = `idle_session=${'a'.repeat(43)}`;
    for (let i = 0; i < 5; i++) await send('GET', '/session', { cookie });
    expect(quiet.error).toHaveBeenCalledTimes(1);
    expect(quiet.error.mock.calls[0]![0]).toMatch(/session store unavailable .*answering 503/);
    advance(10_000);
    await send('GET', '/session', { cookie });
    expect(quiet.error).toHaveBeenCalledTimes(2);
  });

  it('sign-in at the memory store cap gets 503 store-full and live sessions stay', async () => {
    const { signIn, send, status } = createTestApp({ store: new MemorySessionStore({ maxSessions: 2 }) });
    const a = await signIn('a');
    const b = await signIn('b');
    const refused = await send('POST', '/login', { body: '{"username":"c"}' });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ state: 'unavailable', error: 'store-full' });
    expect(refused.headers.getSetCookie()).toEqual([]);
    expect((await status(a.cookie)).status).toBe(200);
    expect((await status(b.cookie)).status).toBe(200);
  });
});

describe('the middleware', () => {
  it('puts the live session on c.var and extends it for ordinary same-origin requests', async () => {
    const { signIn, send, advance, status } = createTestApp();
    const { cookie } = await signIn('admin');
    advance(200_000);
    const response = await send('GET', '/app', { cookie, headers: { 'Sec-Fetch-Site': 'same-origin' } });
    expect(await response.json()).toEqual({ subject: 'admin', remainingMs: IDLE });
    expect((await (await status(cookie)).json()).remainingMs).toBe(IDLE);
  });

  it('does not extend for background requests: header or predicate', async () => {
    const byHeader = createTestApp();
    const one = await byHeader.signIn();
    byHeader.advance(200_000);
    await byHeader.send('GET', '/app', { cookie: one.cookie, headers: { 'Idle-Logout-Background': '1' } });
    expect((await (await byHeader.status(one.cookie)).json()).remainingMs).toBe(100_000);

    const byPredicate = createTestApp({ isBackgroundRequest: (c) => c.req.path === '/app' });
    const two = await byPredicate.signIn();
    byPredicate.advance(200_000);
    const seen = await (await byPredicate.send('GET', '/app', { cookie: two.cookie })).json();
    expect(seen).toEqual({ subject: 'alice', remainingMs: 100_000 });
    expect((await (await byPredicate.status(two.cookie)).json()).remainingMs).toBe(100_000);
  });

  it('gives null and clears the cookie when the session has ended', async () => {
    const { signIn, send, advance } = createTestApp();
    const { cookie } = await signIn();
    advance(IDLE);
    const response = await send('GET', '/app', { cookie });
    expect(await response.json()).toEqual({ subject: null, remainingMs: null });
    expect(response.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0/);
  });

  it('requireSession answers 401 signed-out without a session', async () => {
    const { send, signIn } = createTestApp();
    const response = await send('GET', '/me');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ state: 'signed-out', error: 'no-session' });
    const { cookie } = await signIn('bob');
    expect(await (await send('GET', '/me', { cookie })).json()).toEqual({ subject: 'bob' });
  });

  it('c.var.session is set only where the session is known live, so `if (!c.var.session)` never lets a signed-out request in', async () => {
    const { app, idle, send, signIn } = createTestApp();
    // Code written for a synchronous c.var.session, on a route without requireSession.
    const guarded = (c: Context<IdleSessionEnv>) => (c.var.session ? c.text(`secret for ${c.var.session.subject}`) : c.text('sign in', 401));
    app.get('/guarded', guarded);
    app.get('/guarded-required', idle.requireSession, guarded);
    expect((await send('GET', '/guarded')).status).toBe(401);
    const { cookie } = await signIn('carol');
    // Undefined there even with a live session: it fails closed (a sign-in page), never open.
    expect((await send('GET', '/guarded', { cookie })).status).toBe(401);
    // Behind requireSession it is the live session.
    const required = await send('GET', '/guarded-required', { cookie });
    expect([required.status, await required.text()]).toEqual([200, 'secret for carol']);
  });

  it('requireSession without the middleware in front fails loudly, saying what to add', async () => {
    const idle = createIdleSession({ sweepIntervalMs: 0, logger: quiet });
    const app = new Hono<IdleSessionEnv>();
    let thrown: unknown;
    app.onError((error, c) => {
      thrown = error;
      return c.text('error', 500);
    });
    app.get('/me', idle.requireSession, (c) => c.text('never'));
    await app.request('http://localhost/me');
    expect(String(thrown)).toMatch(/add app.use\(idle.middleware\)/);
  });

  it('reads the session once per request however often the app awaits it', async () => {
    const store = new MemorySessionStore();
    const { signIn, app, send } = createTestApp({ store });
    app.get('/twice', async (c) => c.json({ same: (await c.var.getSession())?.subject === (await c.var.getSession())?.subject }));
    const { cookie } = await signIn();
    const get = vi.spyOn(store, 'get');
    expect(await (await send('GET', '/twice', { cookie })).json()).toEqual({ same: true });
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('signOut from app code ends the session like the logout route', async () => {
    const { signIn, send, status, ended } = createTestApp();
    const { cookie } = await signIn();
    const response = await send('POST', '/bye', { cookie });
    expect(response.headers.getSetCookie()[0]).toMatch(/^idle_session=; Max-Age=0/);
    expect((await status(cookie)).status).toBe(401);
    expect(ended.map((e) => e.reason)).toEqual(['signed-out']);
  });
});

describe('expiry notifications', () => {
  it('fire exactly once per ended session, with the reason, for sessions nobody requests again', async () => {
    const { signIn, logout, keepalive, idle, advance, ended } = createTestApp();
    await signIn('never-seen-again');
    const busy = await signIn('busy');
    const leaver = await signIn('leaver');
    await logout(leaver.cookie);
    advance(200_000);
    await keepalive(busy.cookie, { idleMs: 0 });
    advance(99_999);
    expect(await idle.sweepExpired()).toBe(0);
    advance(1); // T0 + 300 s: the first deadline
    expect(await idle.sweepExpired()).toBe(1);
    expect(await idle.sweepExpired()).toBe(0);
    advance(200_000); // T0 + 500 s: busy's extended deadline
    expect(await idle.sweepExpired()).toBe(1);
    advance(IDLE);
    expect(await idle.sweepExpired()).toBe(0);
    expect(ended).toEqual([
      { subject: 'leaver', reason: 'signed-out', createdAt: T0, endedAt: T0 },
      { subject: 'never-seen-again', reason: 'idle', createdAt: T0, endedAt: T0 + 300_000 },
      { subject: 'busy', reason: 'idle', createdAt: T0, endedAt: T0 + 500_000 },
    ]);
  });

  it('report absolute when the absolute lifetime ended the session, with the app data', async () => {
    const { signIn, keepalive, idle, advance, ended } = createTestApp({ absoluteTimeoutMs: 400_000 });
    const { cookie } = await signIn('admin');
    for (let i = 0; i < 4; i++) {
      advance(100_000);
      await keepalive(cookie, { idleMs: 0 });
    }
    expect(await idle.sweepExpired()).toBe(1);
    expect(ended).toEqual([{ subject: 'admin', data: { role: 'admin' }, reason: 'absolute', createdAt: T0, endedAt: T0 + 400_000 }]);
  });

  it('run from the sweeper timer by themselves, on an instance that never served a request', async () => {
    vi.useFakeTimers();
    const store = new MemorySessionStore();
    // Another instance (or a previous run) signed this user in; this one never sees a request.
    await store.create('k'.repeat(43), { subject: 'quiet', createdAt: T0, idleDeadlineAt: T0 + IDLE, absoluteDeadlineAt: T0 + 2 * IDLE });
    const { advance, ended, idle } = createTestApp({ store, sweepIntervalMs: 1_000 });
    advance(IDLE);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ended.map((e) => [e.subject, e.reason])).toEqual([['quiet', 'idle']]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ended).toHaveLength(1);
    idle.close();
    await vi.advanceTimersByTimeAsync(2_000); // the store-timeout check of the last sweep comes due once
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sweep many at once in batches, each once, and a throwing callback does not stop the others', async () => {
    const store = new MemorySessionStore();
    let calls = 0;
    const { idle, advance } = createTestApp({
      store,
      onSessionEnd: () => {
        calls += 1;
        if (calls === 3) throw new Error('app bug');
      },
    });
    for (let i = 0; i < 1_234; i++) {
      await store.create(`key${i}`, { subject: `u${i}`, createdAt: T0, idleDeadlineAt: T0 + IDLE, absoluteDeadlineAt: T0 + 2 * IDLE });
    }
    advance(IDLE);
    const [first, second] = await Promise.all([idle.sweepExpired(), idle.sweepExpired()]);
    expect(first).toBe(1_234);
    expect(second).toBe(1_234); // the same sweep, not a second one
    expect(calls).toBe(1_234);
    expect(store.size).toBe(0);
    expect(quiet.error).toHaveBeenCalledWith('idle-logout: onSessionEnd failed', expect.any(Error));
  });
});

describe('options', () => {
  it('apply the documented defaults', async () => {
    const idle = createIdleSession({ logger: quiet, sweepIntervalMs: 0 });
    expect(idle.schedule).toEqual({ idleTimeoutMs: 300_000, warningMs: 60_000, absoluteTimeoutMs: 43_200_000 });
    expect(idle.basePath).toBe('/session');
    expect(idle.store).toBeInstanceOf(MemorySessionStore);
    expect(quiet.warn).not.toHaveBeenCalled();
  });

  it('serve the routes under a configured base path', async () => {
    const { signIn, send } = createTestApp({ basePath: '/auth/idle/' });
    const { cookie } = await signIn();
    expect((await send('GET', '/auth/idle', { cookie })).status).toBe(200);
    expect((await send('POST', '/auth/idle/keepalive', { cookie, body: '{}' })).status).toBe(200);
  });

  it('log once when the warning lead is under WCAG’s 20 seconds', () => {
    createIdleSession({ warningMs: 10_000, logger: quiet, sweepIntervalMs: 0 });
    expect(quiet.warn).toHaveBeenCalledTimes(1);
    expect(quiet.warn.mock.calls[0]![0]).toMatch(/WCAG 2.2 SC 2.2.1/);
  });

  it.each([
    [{ idleTimeoutMs: 0 }, /idleTimeoutMs must be a positive integer/],
    [{ idleTimeoutMs: 1.5 }, /idleTimeoutMs must be a positive integer/],
    [{ warningMs: 300_000 }, /warningMs \(300000\) must be shorter than idleTimeoutMs/],
    [{ absoluteTimeoutMs: 1_000 }, /absoluteTimeoutMs \(1000\) must be at least idleTimeoutMs/],
    [{ basePath: 'session' }, /basePath must start with "\/"/],
    [{ cookie: { name: '__Host-x' } }, /cookie.name must be a plain cookie token/],
    [{ cookie: { domain: '.example.com' } }, /cookie.domain must be a lowercase host name .* no scheme, port or leading dot/],
    [{ cookie: { domain: 'https://example.com' } }, /cookie.domain must be a lowercase host name/],
    [{ cookie: { domain: 'example.com:443' } }, /cookie.domain must be a lowercase host name/],
    [{ cookie: { domain: 'localhost' } }, /cookie.domain must be a lowercase host name with at least one dot/],
  ] as const)('reject %o with a message that says what to change', (options, message) => {
    expect(() => createIdleSession({ ...options, logger: quiet })).toThrow(message);
    expect(() => createIdleSession({ ...options, logger: quiet })).toThrow(IdleSessionOptionsError);
  });
});
