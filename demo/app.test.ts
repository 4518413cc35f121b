import { describe, expect, it, vi } from 'vitest';
import { createDemoApp } from './app.ts';
import { demoConfigFrom } from './config.ts';

function demo(script: string | null = 'window.IdleLogout = {};') {
  return createDemoApp({ sweepIntervalMs: 0, logger: { warn: vi.fn(), error: vi.fn() }, readClientScript: async () => script ?? undefined }).app;
}

const sameOrigin = { 'Sec-Fetch-Site': 'same-origin' };

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

  it('signs in from the HTML form and sends the browser to /app, which loads the SDK by script tag', async () => {
    const app = demo();
    const login = await app.request('/login', {
      method: 'POST',
      headers: { ...sameOrigin, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'username=bob',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('Location')).toBe('/app');
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await (await app.request('/app', { headers: { Cookie: cookie } })).text();
    expect(page).toContain('Hello, bob');
    expect(page).toContain('<script src="/idle-logout.iife.js" data-endpoint="/session" data-signed-out-url="/signed-out"');
    expect(page).toContain('You will be signed out after 5 minutes of inactivity');
  });

  it('refuses a bad username with 400 and a reason, in JSON and in the form', async () => {
    const app = demo();
    for (const body of ['{}', '{"username":""}', '{"username":42}', '{"username":"<script>"}', 'not json']) {
      const response = await app.request('/login', { method: 'POST', headers: { ...sameOrigin, 'Content-Type': 'application/json' }, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid-username', message: expect.any(String) });
    }
    const form = await app.request('/login', { method: 'POST', headers: { ...sameOrigin, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'username=' });
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('role="alert"');
  });

  it('sends a signed-out visitor from /app to /signed-out and serves the script tag file', async () => {
    const app = demo();
    const page = await app.request('/app');
    expect(page.status).toBe(303);
    expect(page.headers.get('Location')).toBe('/signed-out?reason=server');
    expect(await (await app.request('/signed-out?reason=idle')).text()).toContain('after a period of inactivity');
    const script = await app.request('/idle-logout.iife.js');
    expect(script.headers.get('Content-Type')).toMatch(/^text\/javascript/);
    expect((await demo(null).request('/idle-logout.iife.js')).status).toBe(503);
  });
});

describe('demo config', () => {
  it('reads PORT, IDLE_TIMEOUT_MS, WARNING_MS and SESSION_STORE with defaults', () => {
    expect(demoConfigFrom({})).toEqual({ port: 3000, idleTimeoutMs: 300_000, warningMs: 60_000, sessionStore: 'memory', redisUrl: 'redis://127.0.0.1:6379' });
    expect(demoConfigFrom({ PORT: '4000', IDLE_TIMEOUT_MS: '6000', WARNING_MS: '3000' })).toMatchObject({ port: 4000, idleTimeoutMs: 6_000, warningMs: 3_000 });
  });

  it('fails loudly on a typo', () => {
    expect(() => demoConfigFrom({ IDLE_TIMEOUT_MS: '5m' })).toThrow(/IDLE_TIMEOUT_MS must be a whole number/);
    expect(() => demoConfigFrom({ SESSION_STORE: 'redsi' })).toThrow(/SESSION_STORE must be "memory" or "redis"/);
  });
});
