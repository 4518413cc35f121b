import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { cookieValues, createSessionCookie, type SessionCookieSettings } from './cookie.ts';

describe('cookieValues', () => {
  it('finds the named cookie wherever it stands', () => {
    expect(cookieValues('idle_session=abc', 'idle_session')).toEqual(['abc']);
    expect(cookieValues('a=1; idle_session=abc; b=2', 'idle_session')).toEqual(['abc']);
    expect(cookieValues('a=1;idle_session=abc', 'idle_session')).toEqual(['abc']);
    expect(cookieValues('a=1;   idle_session=abc  ', 'idle_session')).toEqual(['abc']);
  });

  it('keeps every cookie with the name, in the order sent (a planted one may come first)', () => {
    expect(cookieValues('idle_session=first; theme=dark; idle_session=second', 'idle_session')).toEqual(['first', 'second']);
  });

  it('does not match a longer name, a prefix of the name, or a value', () => {
    expect(cookieValues('xidle_session=1; idle_session_old=2; a=idle_session=3', 'idle_session')).toEqual([]);
    expect(cookieValues('__Host-idle_session=1', 'idle_session')).toEqual([]);
    expect(cookieValues('__Host-idle_session=1', '__Host-idle_session')).toEqual(['1']);
  });

  it('skips empty values and answers [] without a header', () => {
    expect(cookieValues(undefined, 'idle_session')).toEqual([]);
    expect(cookieValues('', 'idle_session')).toEqual([]);
    expect(cookieValues('idle_session=; idle_session=x', 'idle_session')).toEqual(['x']);
  });
});

describe('createSessionCookie: the Set-Cookie of a write and of a clear', () => {
  /** The Set-Cookie a write and a clear answer, and the ids read back, for one settings object. */
  async function setCookies(settings: Partial<SessionCookieSettings>, url: string, cookie = '') {
    const sessionCookie = createSessionCookie({ name: 'idle_session', sameSite: 'Lax', isSecure: (c) => c.req.url.startsWith('https:'), ...settings });
    const app = new Hono();
    app.get('/write', (c) => (sessionCookie.write(c, 'abc'), c.body(null)));
    app.get('/clear', (c) => (sessionCookie.clear(c), c.body(null)));
    app.get('/read', (c) => c.json(sessionCookie.read(c).count));
    const headers = { cookie };
    // Name=value first, then the attributes in any order.
    const parts = (header: string | null) => {
      const [pair, ...attributes] = header!.split('; ');
      return [pair, ...attributes.sort()].join('; ');
    };
    return {
      written: parts((await app.request(`${url}/write`)).headers.get('set-cookie')),
      cleared: parts((await app.request(`${url}/clear`, { headers })).headers.get('set-cookie')),
      read: await (await app.request(`${url}/read`, { headers })).json(),
    };
  }

  it('is host-only by default: __Host- and no Domain on https', async () => {
    const { written, cleared } = await setCookies({}, 'https://api.example.com');
    expect(written).toBe('__Host-idle_session=abc; HttpOnly; Path=/; SameSite=Lax; Secure');
    expect(cleared).toBe('__Host-idle_session=; HttpOnly; Max-Age=0; Path=/; SameSite=Lax; Secure');
  });

  it('with a domain, sets and clears it with that Domain: __Secure- on https (__Host- forbids a Domain)', async () => {
    const https = await setCookies({ domain: 'example.com' }, 'https://api.example.com', '__Secure-idle_session=xyz');
    expect(https.written).toBe('__Secure-idle_session=abc; Domain=example.com; HttpOnly; Path=/; SameSite=Lax; Secure');
    expect(https.cleared).toBe('__Secure-idle_session=; Domain=example.com; HttpOnly; Max-Age=0; Path=/; SameSite=Lax; Secure');
    expect(https.read).toBe(1);
    const http = await setCookies({ domain: 'example.test' }, 'http://api.example.test', 'idle_session=xyz');
    expect(http.written).toBe('idle_session=abc; Domain=example.test; HttpOnly; Path=/; SameSite=Lax');
    expect(http.cleared).toBe('idle_session=; Domain=example.test; HttpOnly; Max-Age=0; Path=/; SameSite=Lax');
    expect(http.read).toBe(1);
  });
});
