// The wall clock jumps forward (NTP, a user setting it) while someone is using the app. Playwright's
// `clock.setSystemTime` moves `Date.now()` alone, as such a jump does: timers and performance.now()
// go on. The server's clock does not jump: it is the source of truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, openLive, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';

const IDLE_MS = 6_000;
const WARNING_MS = 3_000;

const suite = new AppSuite();
let app: RunningApp;

/** A signed-in page, live on /app, in a new context whose clock Playwright controls. */
async function liveWithFakeClock(username: string) {
  const context = await suite.newContext();
  await context.clock.install();
  const page = await context.newPage();
  await signIn(page, app.origin, username);
  await openLive(page, `${app.origin}/app`);
  return { context, page };
}

describe.skipIf(browserUnavailable !== undefined)('a wall clock that jumps', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    app = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/app': { html: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>{{script}}</head><body><h1>App</h1></body></html>' } },
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('60 s forward does not sign out or warn a user who is active: the server says how long is left', async () => {
    const { context, page } = await liveWithFakeClock('clock');
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

  it('a sleep past the deadline (performance.now() stood still) still signs out within a second of waking, reason idle', async () => {
    const { context, page } = await liveWithFakeClock('sleeper');
    // The lid closes: nothing runs in the page and both its clocks stand still…
    const sleptAt = await page.evaluate(() => Date.now());
    await context.clock.pauseAt(sleptAt + 100);
    // …while the server's time passes the deadline.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 1_000));
    // The lid opens: the wall clock is right again, performance.now() goes on from where it stopped.
    await context.clock.setSystemTime(sleptAt + 100 + IDLE_MS + 1_000);
    await context.clock.resume();
    const wokeAt = Date.now();
    const statusChecks: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname === '/session') statusChecks.push(request.url());
    });
    await page.evaluate(() => dispatchEvent(new Event('focus'))).catch(() => {});
    await page.waitForURL('**/signed-out?reason=idle', { timeout: 3_000 });
    expect(Date.now() - wokeAt).toBeLessThan(1_500);
    expect(statusChecks.length).toBeGreaterThanOrEqual(1); // it asked the server (which said 401) first
  });
});
