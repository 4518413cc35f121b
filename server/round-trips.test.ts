// Issue I item 2: one store round trip per request, counted. A network store pays a round trip
// per call, so every extra call on a common path is latency and store CPU on every request.
import { describe, expect, it } from 'vitest';
import { BACKGROUND_HEADER } from '../protocol/index.ts';
import { MemorySessionStore } from './memory-store.ts';
import type { SessionStore } from './store.ts';
import { createTestApp, type TestApp } from './testing/app.ts';
import { forwardTo, STORE_METHODS } from './testing/store-doubles.ts';

/** The memory store, recording the name of every call the server makes to it. */
function countingStore() {
  const inner = new MemorySessionStore();
  const calls: string[] = [];
  const store = forwardTo(inner) as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of STORE_METHODS) {
    const forward = store[method]!;
    store[method] = (...args) => {
      calls.push(method);
      return forward(...args);
    };
  }
  return { store: store as unknown as SessionStore, inner, calls };
}

/** `routes` adds the test's own app routes (before the first request: Hono builds its router then). */
async function signedInApp(routes?: (app: TestApp) => void) {
  const { store, inner, calls } = countingStore();
  const app = createTestApp({ store });
  routes?.(app);
  const { cookie } = await app.signIn('alice');
  let answered: Response | undefined;
  /** The store calls `request` made, in order; its response is then `lastAnswer()`. */
  const callsOf = async (request: () => Promise<Response>, status = 200) => {
    calls.length = 0;
    const response = (answered = await request());
    expect(response.status).toBe(status);
    await new Promise((resolve) => setImmediate(resolve)); // activity recorded after the response
    return [...calls];
  };
  const lastAnswer = async () => answered!.json();
  return { ...app, cookie, inner, callsOf, lastAnswer };
}

const sameOrigin = { 'Sec-Fetch-Site': 'same-origin' };
const unknownCookie = `idle_session=${'A'.repeat(43)}`;

describe('one store call per request', () => {
  it('an ordinary GET that reads its session extends it in one call', async () => {
    const { send, cookie, callsOf, inner } = await signedInApp();
    expect(await callsOf(() => send('GET', '/app', { cookie, headers: sameOrigin }))).toEqual(['extend']);
    expect(inner.size).toBe(1);
  });

  it('an ordinary GET that never reads its session records the activity in one call', async () => {
    const { send, cookie, callsOf } = await signedInApp();
    expect(await callsOf(() => send('GET', '/signed-out', { cookie, headers: sameOrigin }))).toEqual(['extend']);
  });

  it('a route behind requireSession that reads the session again costs one call', async () => {
    const { send, cookie, callsOf } = await signedInApp();
    expect(await callsOf(() => send('GET', '/me', { cookie, headers: sameOrigin }))).toEqual(['extend']);
  });

  it(`a background GET (${BACKGROUND_HEADER}: 1) reads without extending in one call`, async () => {
    const { send, cookie, callsOf } = await signedInApp();
    const headers = { ...sameOrigin, [BACKGROUND_HEADER]: '1' };
    expect(await callsOf(() => send('GET', '/app', { cookie, headers }))).toEqual(['get']);
  });

  it('a keepalive is one extend, the status one get, a logout one delete', async () => {
    const { keepalive, status, logout, cookie, callsOf } = await signedInApp();
    expect(await callsOf(() => keepalive(cookie, { idleMs: 0 }))).toEqual(['extend']);
    expect(await callsOf(() => status(cookie))).toEqual(['get']);
    expect(await callsOf(() => logout(cookie))).toEqual(['delete']);
  });

  it('a request without a session cookie costs no store call', async () => {
    const { send, status, callsOf } = await signedInApp();
    expect(await callsOf(() => send('GET', '/app', { headers: sameOrigin }))).toEqual([]);
    expect(await callsOf(() => status(), 401)).toEqual([]);
  });
});

// A cookie whose session is gone: `get` and `extend` answer the removal mark (revoked, replaced)
// with the miss, read in the same atomic step, so the signed-out answer can say it was ended
// elsewhere (and keep the cookie, so every tab hears why) without a second call.
describe('a request whose session is gone costs one call too', () => {
  it('status, keepalive and an app GET with an unknown session each make one call', async () => {
    const { send, status, keepalive, callsOf } = await signedInApp();
    expect(await callsOf(() => status(unknownCookie), 401)).toEqual(['get']);
    expect(await callsOf(() => keepalive(unknownCookie, { idleMs: 0 }), 401)).toEqual(['extend']);
    expect(await callsOf(() => send('GET', '/app', { cookie: unknownCookie, headers: sameOrigin }))).toEqual(['extend']);
  });

  it('a background GET with an unknown session makes one call', async () => {
    const { send, callsOf } = await signedInApp();
    const headers = { ...sameOrigin, [BACKGROUND_HEADER]: '1' };
    expect(await callsOf(() => send('GET', '/app', { cookie: unknownCookie, headers }))).toEqual(['get']);
  });

  it('status, keepalive, app and background GETs of a revoked session make one call each and still answer why', async () => {
    const { send, status, keepalive, callsOf, lastAnswer, cookie, idle } = await signedInApp();
    await idle.endSessions('alice');
    expect(await callsOf(() => status(cookie), 401)).toEqual(['get']);
    expect(await lastAnswer()).toMatchObject({ error: 'session-revoked' });
    expect(await callsOf(() => keepalive(cookie, { idleMs: 0 }), 401)).toEqual(['extend']);
    expect(await lastAnswer()).toMatchObject({ error: 'session-revoked' });
    expect(await callsOf(() => send('GET', '/app', { cookie, headers: sameOrigin }))).toEqual(['extend']);
    expect(await callsOf(() => send('GET', '/app', { cookie, headers: { ...sameOrigin, [BACKGROUND_HEADER]: '1' } }))).toEqual(['get']);
  });

  it('updateSession with the one session cookie is one update, for a live session and a gone one', async () => {
    const roleRoute = ({ app, idle }: TestApp) =>
      app.post('/role', async (c) => c.json({ role: (await idle.updateSession(c, { role: 'admin' }))?.data ?? null }));
    const { idle, send, cookie, callsOf, lastAnswer } = await signedInApp(roleRoute);
    expect(await callsOf(() => send('POST', '/role', { cookie }))).toEqual(['update']);
    expect(await lastAnswer()).toEqual({ role: { role: 'admin' } });
    await idle.endSessions('alice');
    expect(await callsOf(() => send('POST', '/role', { cookie }))).toEqual(['update']);
    expect(await lastAnswer()).toEqual({ role: null });
    // Two cookies, one of them planted: a read of each to tell which is live, then the update.
    const second = (await createTestApp().signIn('bob')).cookie; // a well-formed id this store never saw
    const { send: sendOther, cookie: live, callsOf: callsOfOther, lastAnswer: otherAnswer } = await signedInApp(roleRoute);
    expect(await callsOfOther(() => sendOther('POST', '/role', { cookie: `${second}; ${live}` }))).toEqual(['get', 'get', 'update']);
    expect(await otherAnswer()).toEqual({ role: { role: 'admin' } });
  });
});
