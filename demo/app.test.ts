import { describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../server/index.ts';
import { countedBody, switchableStore } from '../server/testing/faults.ts';
import { createDemoApp } from './app.ts';
import { demoConfigFrom } from './config.ts';
import { describeBrowser } from './device.ts';

const built: Record<string, string> = {
  'idle-logout.iife.js': 'window.IdleLogout = {};',
  'demo/index.html': '<form action="/login">',
  'demo/app.html': '<script src="/idle-logout.iife.js" data-endpoint="/session" data-keep-work data-keep-work-user=""></script>',
  'demo/signed-out.html': '<h1>You were signed out</h1>',
  'demo/assets/app-1.js': 'console.log(1)',
};

function demo(files: Record<string, string> = built) {
  return createDemoApp({ sweepIntervalMs: 0, logger: { warn: vi.fn(), error: vi.fn() }, readBuiltFile: async (path) => files[path] }).app;
}

const sameOrigin = { 'Sec-Fetch-Site': 'same-origin' };

async function signIn(app: ReturnType<typeof demo>, username: string) {
  const login = await app.request('/login', {
    method: 'POST',
    headers: { ...sameOrigin, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `username=${encodeURIComponent(username)}`,
  });
  return { login, cookie: login.headers.getSetCookie()[0]?.split(';')[0] ?? '' };
}

describe('demo app', () => {
  it('signs in from JSON and answers the session protocol', async () => {
    const app = demo();
    const login = await app.request('/login', {
      method: 'POST',
      headers: { ...sameOrigin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'alice' }),
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toEqual({ state: 'active', subject: 'alice' });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const status = await app.request('/session', { headers: { Cookie: cookie } });
    expect(await status.json()).toMatchObject({ state: 'active', idleTimeoutMs: 300_000, warningMs: 60_000 });
  });

  it('signs in from the HTML form, sends the browser to /app and tells the page who is signed in', async () => {
    const app = demo();
    const { login, cookie } = await signIn(app, 'bob');
    expect(login.status).toBe(303);
    expect(login.headers.get('Location')).toBe('/app');
    const page = await app.request('/app', { headers: { Cookie: cookie } });
    expect(page.headers.get('Cache-Control')).toBe('no-store');
    expect(await page.text()).toBe('<script src="/idle-logout.iife.js" data-endpoint="/session" data-keep-work data-keep-work-user="bob"></script>');
    const me = await app.request('/api/me', { headers: { Cookie: cookie, 'Idle-Logout-Background': '1' } });
    expect(await me.json()).toEqual({ subject: 'bob', idleTimeoutMs: 300_000, warningMs: 60_000, absoluteTimeoutMs: 43_200_000 });
    expect((await app.request('/', { headers: { Cookie: cookie } })).headers.get('Location')).toBe('/app');
  });

  it('refuses a bad username: 400 with a reason for JSON, back to the form with the reason for HTML', async () => {
    const app = demo();
    for (const body of ['{}', '{"username":""}', '{"username":42}', '{"username":"<script>"}', 'not json']) {
      const response = await app.request('/login', { method: 'POST', headers: { ...sameOrigin, 'Content-Type': 'application/json' }, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid-username', message: expect.any(String) });
    }
    const { login } = await signIn(app, '');
    expect(login.status).toBe(303);
    expect(login.headers.get('Location')).toBe('/?error=invalid-username');
  });

  it('sends a signed-out visitor from /app to /signed-out, and serves the built files with their types', async () => {
    const app = demo();
    const page = await app.request('/app');
    expect(page.status).toBe(303);
    expect(page.headers.get('Location')).toBe('/signed-out?reason=server');
    expect((await app.request('/api/me')).status).toBe(401);
    expect(await (await app.request('/signed-out?reason=idle')).text()).toContain('You were signed out');
    const script = await app.request('/idle-logout.iife.js');
    expect(script.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    expect((await app.request('/assets/app-1.js')).status).toBe(200);
    expect((await app.request('/assets/.env')).status).toBe(404);
    expect((await demo({}).request('/idle-logout.iife.js')).status).toBe(503);
  });
});

describe('demo activity', () => {
  it('counts keepalives, not page loads, as activity', async () => {
    let clock = 1_700_000_000_000;
    const app = createDemoApp({ now: () => clock, sweepIntervalMs: 0, logger: { warn: vi.fn(), error: vi.fn() }, readBuiltFile: async (path) => built[path] }).app;
    const { cookie } = await signIn(app, 'carol');
    clock += 100_000;
    await app.request('/app', { headers: { Cookie: cookie } });
    const status = await app.request('/session', { headers: { Cookie: cookie } });
    expect((await status.json()).remainingMs).toBe(200_000);
    const keepalive = await app.request('/session/keepalive', { method: 'POST', headers: { Cookie: cookie, ...sameOrigin }, body: '{"idleMs":0}' });
    expect((await keepalive.json()).remainingMs).toBe(300_000);
  });
});

describe('demo sign-in bodies', () => {
  const FIFTY_MB = 50 * 1024 * 1024;
  const post = (body: ReadableStream<Uint8Array>, headers: Record<string, string>) =>
    demo().request('/login', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

  it.each([
    ['with Content-Length', { 'Content-Length': String(FIFTY_MB) }],
    ['chunked', {}],
  ])('a 50 MB sign-in body %s gets 413 JSON after reading at most one chunk past the limit', async (_, length) => {
    const big = countedBody(FIFTY_MB);
    const response = await post(big.body, { ...sameOrigin, 'Content-Type': 'application/x-www-form-urlencoded', ...length });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'body-too-large', message: expect.any(String) });
    expect(big.pulled()).toBeLessThanOrEqual(128 * 1024);
  });

  it('"Your sessions": lists this browser and the other one, with the device from the User-Agent, and ends the other', async () => {
    const app = demo();
    const signInWith = async (userAgent: string) => {
      const login = await app.request('/login', {
        method: 'POST',
        headers: { ...sameOrigin, 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': userAgent },
        body: 'username=carol',
      });
      return login.headers.getSetCookie()[0]!.split(';')[0]!;
    };
    const laptop = await signInWith('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36');
    const phone = await signInWith('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1');
    const list = await app.request('/session/sessions', { headers: { Cookie: laptop } });
    expect(list.status).toBe(200);
    const { sessions } = (await list.json()) as { sessions: { handle: string; current: boolean; display: Record<string, string> }[] };
    expect(sessions.map((s) => [s.display.device, s.current])).toEqual([
      ['Chrome on Linux', true],
      ['Safari on iOS', false],
    ]);
    const ended = await app.request('/session/sessions/end-others', { method: 'POST', headers: { ...sameOrigin, Cookie: laptop, 'Content-Type': 'application/json' }, body: '{}' });
    expect(await ended.json()).toEqual({ ended: 1 });
    expect(await (await app.request('/session', { headers: { Cookie: phone } })).json()).toMatchObject({ state: 'signed-out', error: 'session-revoked' });
    expect((await app.request('/session', { headers: { Cookie: laptop } })).status).toBe(200);
  });

  it('"Your sessions": ending a session is refused cross-site (403 csrf) and ends nothing; "End" ends only one of my own', async () => {
    const app = demo();
    const { cookie: mine } = await signIn(app, 'dave');
    const { cookie: other } = await signIn(app, 'dave');
    const { cookie: someoneElse } = await signIn(app, 'erin');
    const handles = async (cookie: string) =>
      ((await (await app.request('/session/sessions', { headers: { Cookie: cookie } })).json()) as { sessions: { handle: string; current: boolean }[] }).sessions;
    const otherHandle = (await handles(mine)).find((s) => !s.current)!.handle;
    const crossSite = { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example', 'Content-Type': 'application/json' };
    for (const [path, body] of [['/session/sessions/end-others', '{}'], ['/session/sessions/end', JSON.stringify({ handle: otherHandle })]] as const) {
      const refused = await app.request(path, { method: 'POST', headers: { ...crossSite, Cookie: mine }, body });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'csrf' });
    }
    expect((await app.request('/session', { headers: { Cookie: other } })).status).toBe(200);
    // Erin cannot end Dave's session by its handle.
    const notHers = await app.request('/session/sessions/end', { method: 'POST', headers: { ...sameOrigin, Cookie: someoneElse, 'Content-Type': 'application/json' }, body: JSON.stringify({ handle: otherHandle }) });
    expect(await notHers.json()).toEqual({ ended: 0 });
    const end = await app.request('/session/sessions/end', { method: 'POST', headers: { ...sameOrigin, Cookie: mine, 'Content-Type': 'application/json' }, body: JSON.stringify({ handle: otherHandle }) });
    expect(await end.json()).toEqual({ ended: 1 });
    expect((await app.request('/session', { headers: { Cookie: other } })).status).toBe(401);
    expect((await app.request('/session', { headers: { Cookie: mine } })).status).toBe(200);
  });

  it('describes the browser in a few words, whatever the User-Agent says', () => {
    expect(describeBrowser('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0')).toBe('Edge on Windows');
    expect(describeBrowser('Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0')).toBe('Firefox on macOS');
    expect(describeBrowser('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36')).toBe('Chrome on Android');
    expect(describeBrowser('curl/8.5.0')).toBe('Unknown browser');
    expect(describeBrowser(undefined)).toBe('Unknown browser');
  });

  it('a cross-site sign-in is refused before its body is read', async () => {
    const big = countedBody(FIFTY_MB);
    const response = await post(big.body, { 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'application/json' });
    expect(response.status).toBe(403);
    expect(big.pulled()).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('demo headers', () => {
  it('marks what sets the cookie or shows the user no-store, and leaves the static files cacheable', async () => {
    const app = demo();
    const { login, cookie } = await signIn(app, 'dora');
    expect(login.headers.get('Cache-Control')).toBe('no-store');
    const json = await app.request('/login', { method: 'POST', headers: { ...sameOrigin, 'Content-Type': 'application/json' }, body: '{"username":"eve"}' });
    expect(json.headers.get('Cache-Control')).toBe('no-store');
    for (const path of ['/', '/app', '/api/me']) {
      expect((await app.request(path, { headers: { Cookie: cookie } })).headers.get('Cache-Control'), path).toBe('no-store');
    }
    expect((await app.request('/')).headers.get('Cache-Control')).toBe('no-store'); // the sign-in page answers by cookie
    expect((await app.request('/idle-logout.iife.js')).headers.get('Cache-Control')).toBeNull();
  });

  it('sends a Content-Security-Policy the pages satisfy, and the usual security headers, on every answer', async () => {
    const app = demo();
    for (const path of ['/', '/signed-out', '/idle-logout.iife.js']) {
      const response = await app.request(path);
      const csp = response.headers.get('Content-Security-Policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
    }
  });
});

describe('demo during a store outage', () => {
  it('still serves the sign-in page, /signed-out, the SDK and the assets to a signed-in browser; /app and /api/me get 503', async () => {
    const broken = switchableStore(new MemorySessionStore());
    const app = createDemoApp({ store: broken.store, storeTimeoutMs: 200, sweepIntervalMs: 0, logger: { warn: vi.fn(), error: vi.fn() }, readBuiltFile: async (path) => built[path] }).app;
    const { cookie } = await signIn(app, 'frank');
    broken.set('hang');
    const started = Date.now();
    for (const path of ['/signed-out', '/idle-logout.iife.js', '/assets/app-1.js']) {
      expect((await app.request(path, { headers: { Cookie: cookie, ...sameOrigin } })).status, path).toBe(200);
    }
    expect(Date.now() - started).toBeLessThan(150);
    const form = await app.request('/', { headers: { Cookie: cookie, ...sameOrigin } });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<form');
    for (const path of ['/app', '/api/me']) {
      const response = await app.request(path, { headers: { Cookie: cookie, ...sameOrigin } });
      expect(response.status, path).toBe(503);
      expect(await response.json()).toMatchObject({ state: 'unavailable' });
    }
  });
});

describe('demo behind a TLS-terminating proxy', () => {
  it('TRUST_PROXY=1 trusts X-Forwarded-Proto for the cookie; without it the header is ignored', async () => {
    const login = (trustProxy: boolean) =>
      createDemoApp({ ...(trustProxy ? { trustedProtoHeader: demoConfigFrom({ TRUST_PROXY: '1' }).trustedProtoHeader } : {}), sweepIntervalMs: 0, logger: { warn: vi.fn(), error: vi.fn() }, readBuiltFile: async (path) => built[path] })
        .app.request('/login', { method: 'POST', headers: { ...sameOrigin, 'X-Forwarded-Proto': 'https', 'Content-Type': 'application/json' }, body: '{"username":"gil"}' });
    expect((await login(true)).headers.getSetCookie()[0]).toMatch(/^__Host-idle_session=.*; Secure/);
    expect((await login(false)).headers.getSetCookie()[0]).toMatch(/^idle_session=/);
  });
});

describe('demo config', () => {
  it('reads PORT, IDLE_TIMEOUT_MS, WARNING_MS, SESSION_STORE and TRUST_PROXY with defaults', () => {
    expect(demoConfigFrom({})).toEqual({ port: 3000, idleTimeoutMs: 300_000, warningMs: 60_000, sessionStore: 'memory', redisUrl: 'redis://127.0.0.1:6379', trustedProtoHeader: undefined });
    expect(demoConfigFrom({ TRUST_PROXY: '1' }).trustedProtoHeader).toBe('x-forwarded-proto');
    expect(demoConfigFrom({ TRUST_PROXY: '0' }).trustedProtoHeader).toBeUndefined();
    expect(demoConfigFrom({ PORT: '4000', IDLE_TIMEOUT_MS: '6000', WARNING_MS: '3000' })).toMatchObject({ port: 4000, idleTimeoutMs: 6_000, warningMs: 3_000 });
    expect(demoConfigFrom({ REVOCATION_CHECK_MS: '2000' }).revocationCheckMs).toBe(2_000);
    expect(() => demoConfigFrom({ REVOCATION_CHECK_MS: 'soon' })).toThrow(/REVOCATION_CHECK_MS must be a whole number/);
  });

  it('fails loudly on a typo', () => {
    expect(() => demoConfigFrom({ IDLE_TIMEOUT_MS: '5m' })).toThrow(/IDLE_TIMEOUT_MS must be a whole number/);
    expect(() => demoConfigFrom({ SESSION_STORE: 'redsi' })).toThrow(/SESSION_STORE must be "memory" or "redis"/);
    expect(() => demoConfigFrom({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY must be "1" .* or "0"/);
  });
});
