// The wall clock jumps forward (NTP, a user setting it) while someone is using the app. Playwright's
// `clock.setSystemTime` moves `Date.now()` alone, as such a jump does: timers and performance.now()
// go on. The server's clock does not jump: it is the source of truth.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type RunningApp } from './app-server.ts';
import { browserUnavailable, launchBrowser } from './browser.ts';

const IDLE_MS = 20_000;
const WARNING_MS = 5_000;

let browser: Browser;
let app: RunningApp;
const contexts: BrowserContext[] = [];

describe.skipIf(browserUnavailable !== undefined)('a wall clock that jumps', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    app = await startAppServer({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/app': { html: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>{{script}}</head><body><h1>App</h1></body></html>' } },
    });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    await browser?.close();
    await app?.stop();
  });

  it('60 s forward does not sign out or warn a user who is active: the server says how long is left', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    await context.clock.install();
    const page = await context.newPage();
    await page.goto(`${app.origin}/signed-out`);
    await page.evaluate(() => fetch('/login', { method: 'POST', body: '{"username":"clock"}' }));
    await page.goto(`${app.origin}/app`);
    await page.waitForFunction(() => window.IdleLogout?.handle?.getPhase() === 'active');
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __seen: string[] }).__seen = seen;
      for (const type of ['warning', 'signed-out'] as const) window.IdleLogout.handle!.on(type, () => seen.push(type));
    });
    await context.clock.setSystemTime(Date.now() + 60_000);
    for (let x = 0; x < 10; x++) {
      await page.mouse.move(100 + x * 20, 100);
      await page.waitForTimeout(200);
    }
    expect(await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen)).toEqual([]);
    expect(new URL(page.url()).pathname).toBe('/app');
    expect(await page.evaluate(() => window.IdleLogout.handle!.getPhase())).toBe('active');
    // The deadline was re-based on the jumped clock: more than the warning is left.
    expect(await page.evaluate(() => window.IdleLogout.handle!.getRemainingMs())).toBeGreaterThan(WARNING_MS);
    expect((await context.request.get(`${app.origin}/session`)).status()).toBe(200);
  });
});
