// A session ended elsewhere reaches the browser: two browser contexts are two
// browsers of one user. A ends B's session ("sign out other sessions"); B's two open tabs must reach
// the signed-out page within the check interval, with reason `revoked`, while sending at most one
// status check per interval for the origin, and A's session must stay as it was. Then the same
// through the demo's "Your sessions" panel.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, signIn } from './app-suite.ts';
import { browserUnavailable, launchBrowser } from './browser.ts';
import { startDemoServer, type RunningDemo } from './demo-server.ts';

// Long enough that nobody times out during the test; the check interval is the bound under test.
const IDLE_MS = 60_000;
const WARNING_MS = 5_000;
const CHECK_MS = 2_000;
/** A loaded machine (two cores, five helpers): the one-shot timer, the claim in IndexedDB, the round trip. */
const LAG_MS = 2_500;

const suite = new AppSuite();
let app: RunningApp;
/** Every `GET /session` (the status check): when, and the cookie it carried. */
const statusRequests: { at: number; cookie: string }[] = [];

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>{{script}}
<script>IdleLogout.startIdleLogout({ signedOutUrl: '/signed-out', revocationCheckMs: ${CHECK_MS} });</script></head>
<body><h1>App</h1></body></html>`;

describe.skipIf(browserUnavailable !== undefined)('a session ended from another browser', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    app = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      sessionRoutes: true,
      scriptAttributes: 'data-autostart="false"',
      pages: { '/app': { html: PAGE } },
      intercept: (c) => {
        if (c.req.method === 'GET' && c.req.path === '/session') statusRequests.push({ at: Date.now(), cookie: c.req.header('cookie') ?? '' });
        return undefined;
      },
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('B’s two tabs reach /signed-out?reason=revoked within the interval, checking once per interval; A is untouched', async () => {
    const a = await (await suite.newContext()).newPage();
    const contextB = await suite.newContext();
    const b1 = await contextB.newPage();
    await signIn(a, app.origin, 'same-user');
    await signIn(b1, app.origin, 'same-user');
    const bCookie = (await contextB.cookies()).map((cookie) => `${cookie.name}=${cookie.value}`);
    expect(bCookie).toHaveLength(1);
    const fromB = () => statusRequests.filter((r) => r.cookie.includes(bCookie[0]!));

    await a.goto(`${app.origin}/app`);
    const b2 = await contextB.newPage();
    await Promise.all([b1.goto(`${app.origin}/app`), b2.goto(`${app.origin}/app`)]);
    for (const page of [a, b1, b2]) await page.waitForFunction(() => window.IdleLogout?.handle?.getPhase() === 'active');

    // Steady state: both B tabs are visible (Playwright never backgrounds its pages), yet the
    // origin sends one check per interval. Each tab's start sent its own status request first.
    const watchFrom = Date.now();
    await b1.waitForTimeout(4 * CHECK_MS);
    const checks = fromB().filter((r) => r.at >= watchFrom);
    expect(checks.length).toBeGreaterThanOrEqual(2);
    expect(checks.length).toBeLessThanOrEqual(Math.ceil((4 * CHECK_MS) / CHECK_MS) + 1);
    // Claims are spaced by the interval on the browser's clock; arrival at the server may jitter a little.
    for (let i = 1; i < checks.length; i++) expect(checks[i]!.at - checks[i - 1]!.at).toBeGreaterThanOrEqual(CHECK_MS - 250);

    const aBefore = (await a.evaluate(() => fetch('/session').then((r) => r.json()))) as { remainingMs: number };
    const ended = await a.evaluate(() =>
      fetch('/session/sessions/end-others', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.json()),
    );
    expect(ended).toEqual({ ended: 1 });
    const endedAt = Date.now();
    const reached = await Promise.all(
      [b1, b2].map(async (page) => {
        await page.waitForURL(/\/signed-out\?reason=revoked$/, { timeout: CHECK_MS + LAG_MS + 5_000 });
        return Date.now() - endedAt;
      }),
    );
    expect(Math.max(...reached)).toBeLessThanOrEqual(CHECK_MS + LAG_MS);
    expect(await b1.textContent('#reason')).toBe('revoked');

    // A's session is untouched: still live, not extended or shortened by anything but time, listed as the only one.
    expect(new URL(a.url()).pathname).toBe('/app');
    expect(await a.evaluate(() => window.IdleLogout.handle!.getPhase())).toBe('active');
    const aAfter = (await a.evaluate(() => fetch('/session').then((r) => r.json()))) as { remainingMs: number };
    expect(aAfter.remainingMs).toBeLessThanOrEqual(aBefore.remainingMs);
    expect(aAfter.remainingMs).toBeGreaterThan(aBefore.remainingMs - (Date.now() - endedAt) - 1_000);
    const listed = (await a.evaluate(() => fetch('/session/sessions').then((r) => r.json()))) as { sessions: { current: boolean }[] };
    expect(listed.sessions.map((s) => s.current)).toEqual([true]);
  });
});

describe.skipIf(browserUnavailable !== undefined)('the demo’s "Your sessions" panel', { timeout: 90_000 }, () => {
  let demo: RunningDemo;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemoServer({ IDLE_TIMEOUT_MS: String(IDLE_MS), WARNING_MS: String(WARNING_MS), REVOCATION_CHECK_MS: String(CHECK_MS) });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('lists both browsers, this one marked; "Sign out other sessions" sends the other’s tab to /signed-out, which says why; no CSP violation', async () => {
    const violations: string[] = [];
    const signedInPage = async () => {
      const page = await (await browser.newContext()).newPage();
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(`${demo.origin}/`);
      await page.fill('#username', 'two-browsers');
      await Promise.all([page.waitForURL('**/app'), page.click('button[type=submit]')]);
      return page;
    };
    const a = await signedInPage();
    const b = await signedInPage();
    await a.click('#refresh-sessions');
    const rows = a.locator('#sessions li');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => rows.first().textContent()).toContain('This browser');
    // The other row (Playwright's Chromium on this machine) has an "End" button; this browser's has none.
    expect(await rows.nth(1).getByRole('button', { name: /^End the session on / }).count()).toBe(1);
    expect(await rows.first().getByRole('button').count()).toBe(0);

    const endedAt = Date.now();
    await a.getByRole('button', { name: 'Sign out other sessions' }).click();
    await b.waitForURL(/\/signed-out\?reason=revoked/, { timeout: CHECK_MS + LAG_MS + 5_000 });
    expect(Date.now() - endedAt).toBeLessThanOrEqual(CHECK_MS + LAG_MS);
    await expect.poll(() => b.textContent('#reason')).toBe('You were signed out from another device or by an administrator.');
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(a.url()).pathname).toBe('/app');
    expect(violations).toEqual([]);
  });
});
