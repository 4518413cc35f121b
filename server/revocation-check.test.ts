// What the client's revocation check (client/core.ts, `revocationCheckMs`) relies on, through the
// real server on an injected clock: `GET {base}` never extends a session however often it is asked,
// and a session ended elsewhere answers `session-revoked` to every request of that browser — the
// first answer does not clear the cookie, which would leave the other tabs' checks hearing only
// `no-session` — until the store's mark has expired.
import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing/app.ts';

const IDLE = 300_000;

describe('the status route as a revocation check', () => {
  it('asked every 10 s for the whole idle timeout, it never extends: the session ends on time', async () => {
    const { signIn, status, advance } = createTestApp({ idleTimeoutMs: IDLE });
    const { cookie } = await signIn('alice');
    for (let at = 10_000; at < IDLE; at += 10_000) {
      advance(10_000);
      expect(await (await status(cookie)).json()).toMatchObject({ remainingMs: IDLE - at });
    }
    advance(10_000);
    expect((await status(cookie)).status).toBe(401);
  });

  it('a revoked session is told so on every check, and its cookie stays until the mark expires; a plain unknown one is cleared', async () => {
    const { signIn, status, endMyOtherSessions, advance } = createTestApp({ idleTimeoutMs: IDLE });
    const laptop = await signIn('alice');
    const phone = await signIn('alice');
    expect(await (await endMyOtherSessions(phone.cookie)).json()).toEqual({ ended: 1 });
    for (let i = 0; i < 3; i++) {
      const answer = await status(laptop.cookie);
      expect(await answer.json()).toMatchObject({ state: 'signed-out', error: 'session-revoked' });
      expect(answer.headers.getSetCookie()).toEqual([]);
    }
    // The phone's session is untouched by the checks of the laptop.
    expect(await (await status(phone.cookie)).json()).toMatchObject({ remainingMs: IDLE });
    // Once the revoked session would have ended anyway, the mark is gone: a plain 401 that clears the cookie.
    advance(IDLE + 1);
    const late = await status(laptop.cookie);
    expect(await late.json()).toMatchObject({ error: 'unknown-session' });
    expect(late.headers.getSetCookie().join()).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });

  it('a page that reads the session before any status check leaves the cookie too, so the tabs still hear session-revoked', async () => {
    const { signIn, status, send, endMyOtherSessions } = createTestApp({ idleTimeoutMs: IDLE });
    const laptop = await signIn('alice');
    const phone = await signIn('alice');
    await endMyOtherSessions(phone.cookie);
    // The laptop's page (or an API call) reaches the server first, through the middleware.
    const page = await send('GET', '/app', { cookie: laptop.cookie });
    expect(await page.json()).toMatchObject({ subject: null });
    expect(page.headers.getSetCookie()).toEqual([]);
    expect(await (await status(laptop.cookie)).json()).toMatchObject({ error: 'session-revoked' });
  });
});
