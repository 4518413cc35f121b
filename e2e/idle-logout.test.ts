// Real tabs of one browser context in Debian's Chromium, against the demo server on a short
// schedule (6 s idle, 3 s warning). The schedule comes from the server, as in production.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS, errorBody } from '../protocol/index.ts';
import { browserUnavailable, launchBrowser } from './browser.ts';
import { startDemoServer, type RunningDemo } from './demo-server.ts';

const IDLE_MS = 6_000;
const WARNING_MS = 3_000;
const require = createRequire(import.meta.url);

let browser: Browser;
let demo: RunningDemo;
const contexts: BrowserContext[] = [];

/** The per-page record of what the SDK said, kept in the page (see `watch`). */
type Seen = { events: string[]; live: string[]; countdowns: string[] };

declare global {
  interface Window {
    __seen: Seen;
  }
}

async function newContext(options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, ...options });
  contexts.push(context);
  return context;
}

/** Records the SDK's events and the dialog's live region and countdown as they change. */
async function watch(page: Page): Promise<void> {
  await page.waitForFunction(() => window.IdleLogout?.handle !== undefined);
  await page.evaluate(() => {
    const seen: Seen = { events: [], live: [], countdowns: [] };
    window.__seen = seen;
    const handle = window.IdleLogout.handle!;
    for (const type of ['active', 'warning', 'stay', 'signed-out', 'keepalive', 'unreachable', 'reachable'] as const) {
      handle.on(type, () => {
        seen.events.push(type);
        // Survives navigation: a test that must see events up to the signed-out page exposes this.
        (window as unknown as { __reportEvent?: (type: string) => void }).__reportEvent?.(type);
      });
    }
    // The dialog lives in an open shadow root that appears at the warning: observe it when it does.
    new MutationObserver(() => {
      const root = document.querySelector('[data-idle-logout-dialog]')?.shadowRoot;
      if (!root || root.querySelector('[data-watched]')) return;
      const live = root.querySelector('[role="status"]')!;
      const dialog = root.querySelector('[role="alertdialog"]')!;
      dialog.setAttribute('data-watched', '');
      const record = () => {
        if (seen.live.at(-1) !== live.textContent) seen.live.push(live.textContent ?? '');
        const countdown = root.querySelector('[aria-hidden="true"]')?.textContent ?? '';
        if (seen.countdowns.at(-1) !== countdown) seen.countdowns.push(countdown);
      };
      record();
      new MutationObserver(record).observe(root, { subtree: true, characterData: true, childList: true });
    }).observe(document.body, { childList: true });
  });
}

async function signIn(context: BrowserContext, username: string, origin = demo.origin): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.fill('#username', username);
  await Promise.all([page.waitForURL('**/app'), page.click('button[type=submit]')]);
  await watch(page);
  await page.waitForFunction(() => window.IdleLogout.handle!.getPhase() === 'active');
  return page;
}

async function openApp(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${demo.origin}/app`);
  await watch(page);
  return page;
}

const dialogOf = (page: Page) => page.getByRole('alertdialog');
const seconds = (countdown: string) => {
  const [m, s] = countdown.split(':').map(Number);
  return m! * 60 + s!;
};
const countdownOf = async (page: Page) => (await page.locator('[data-idle-logout-dialog] [aria-hidden="true"]').textContent()) ?? '';
const serverStatus = async (context: BrowserContext) => {
  const response = await context.request.get(`${demo.origin}/session`);
  return { status: response.status(), body: (await response.json()) as { remainingMs?: number } };
};
/** Real input: moves the mouse in small steps until `done()`. */
async function moveMouseUntil(page: Page, done: () => boolean): Promise<void> {
  for (let x = 10; !done(); x = (x + 37) % 500) {
    await page.mouse.move(50 + x, 200 + (x % 50));
    await page.waitForTimeout(150);
  }
}
/** Real input for `ms`. */
async function beActive(page: Page, ms: number): Promise<void> {
  const end = Date.now() + ms;
  await moveMouseUntil(page, () => Date.now() >= end);
}
/**
 * Real input on `page` until `work` is done. Opening a second tab can take longer than the
 * 3 s before the warning on a loaded machine; a test that needs the first tab still active after
 * it (not warning, not signed out by time) keeps it in use meanwhile.
 */
async function activeWhile<T>(page: Page, work: Promise<T>): Promise<T> {
  let done = false;
  const finished = work.finally(() => (done = true));
  await moveMouseUntil(page, () => done);
  return finished;
}
const focusedInDialog = (page: Page) =>
  page.evaluate(() => document.querySelector('[data-idle-logout-dialog]')?.shadowRoot?.activeElement?.textContent ?? null);

describe.skipIf(browserUnavailable !== undefined)('idle-logout in Chromium', () => {
  beforeAll(async () => {
    demo = await startDemoServer({ IDLE_TIMEOUT_MS: String(IDLE_MS), WARNING_MS: String(WARNING_MS) });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    await browser?.close();
    await demo?.stop();
  });

  it('1. warns at the right time with the right countdown, then signs out at the deadline', async () => {
    const context = await newContext();
    const page = await signIn(context, 'idle-alice');
    const activeAt = Date.now();
    await dialogOf(page).waitFor({ state: 'visible', timeout: IDLE_MS });
    const warnedAfterMs = Date.now() - activeAt;
    expect(warnedAfterMs).toBeGreaterThan(IDLE_MS - WARNING_MS - 1_500);
    expect(warnedAfterMs).toBeLessThan(IDLE_MS - WARNING_MS + 1_500);
    expect(seconds(await countdownOf(page))).toBeGreaterThanOrEqual(1);
    expect(seconds(await countdownOf(page))).toBeLessThanOrEqual(WARNING_MS / 1000);
    expect(await page.title()).toMatch(/^0:0\d/);
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync('docs/images', { recursive: true });
      await page.screenshot({ path: 'docs/images/warning.png' });
    }
    await page.waitForURL('**/signed-out?reason=idle*', { timeout: WARNING_MS + 3_000 });
    expect(await page.textContent('#reason')).toContain('inactive');
    expect((await serverStatus(context)).status).toBe(401);
  });

  it('2. two tabs warn together; "Stay signed in" in one closes the other within 1 s and restores the server time', async () => {
    const context = await newContext();
    const first = await signIn(context, 'two-tabs');
    const second = await openApp(context);
    await Promise.all([dialogOf(first).waitFor({ timeout: IDLE_MS }), dialogOf(second).waitFor({ timeout: IDLE_MS })]);
    await first.getByRole('button', { name: 'Stay signed in' }).click();
    const clickedAt = Date.now();
    await dialogOf(second).waitFor({ state: 'hidden', timeout: 1_000 });
    expect(Date.now() - clickedAt).toBeLessThan(1_000);
    await dialogOf(first).waitFor({ state: 'hidden', timeout: 1_000 });
    const { body } = await serverStatus(context);
    expect(body.remainingMs).toBeGreaterThan(IDLE_MS - 1_000);
    expect(await second.evaluate(() => window.__seen.events)).toContain('stay');
  });

  it('3a. "Sign out" in one tab signs out both', async () => {
    const context = await newContext();
    const first = await signIn(context, 'sign-out-both');
    const second = await openApp(context);
    await dialogOf(first).waitFor({ timeout: IDLE_MS });
    await dialogOf(first).getByRole('button', { name: 'Sign out' }).click();
    await Promise.all([first.waitForURL('**/signed-out?reason=user*'), second.waitForURL('**/signed-out?reason=user*')]);
    expect((await serverStatus(context)).status).toBe(401);
  });

  it('3b. activity in one tab keeps the other from warning', async () => {
    const context = await newContext();
    const busy = await signIn(context, 'busy-tab');
    const quiet = await activeWhile(busy, openApp(context));
    await beActive(busy, IDLE_MS + 2_000);
    expect(await quiet.evaluate(() => window.__seen.events)).not.toContain('warning');
    expect(await busy.evaluate(() => window.__seen.events)).not.toContain('warning');
    expect(quiet.url()).toMatch(/\/app$/);
  });

  it('3c. a tab opened during the warning shows the same countdown', async () => {
    const context = await newContext();
    const first = await signIn(context, 'late-tab');
    await dialogOf(first).waitFor({ timeout: IDLE_MS });
    const late = await openApp(context);
    await dialogOf(late).waitFor({ timeout: 1_500 });
    const [a, b] = await Promise.all([countdownOf(first), countdownOf(late)]);
    expect(Math.abs(seconds(a) - seconds(b))).toBeLessThanOrEqual(1);
    expect(await late.evaluate(() => window.__seen.events)).not.toContain('active');
  });

  it('4. three active tabs send no more keepalives than one', async () => {
    /** Times (ms) of the keepalives sent while every tab is continuously active. */
    async function keepalivesWhileActive(tabs: number): Promise<number[]> {
      const context = await newContext();
      const sentAt: number[] = [];
      context.on('request', (request) => {
        if (request.method() === 'POST' && request.url().endsWith('/session/keepalive')) sentAt.push(Date.now());
      });
      const pages = [await signIn(context, `keepalive-${tabs}`)];
      for (let i = 1; i < tabs; i++) pages.push(await activeWhile(pages[0]!, openApp(context)));
      sentAt.length = 0;
      await Promise.all(pages.map((page) => beActive(page, 6_000)));
      await context.close();
      return sentAt;
    }
    // Counted from the first keepalive over the same span, so both runs start in the same phase
    // of the keepalive interval (1 s on this schedule).
    const inSpan = (sentAt: number[]) => sentAt.filter((at) => at - sentAt[0]! < 4_500).length;
    const one = await keepalivesWhileActive(1);
    const three = await keepalivesWhileActive(3);
    console.log(`e2e: keepalives in 4.5 s of activity: one tab ${inSpan(one)}, three tabs ${inSpan(three)}`);
    expect(inSpan(one)).toBeGreaterThanOrEqual(3);
    expect(inSpan(three)).toBeLessThanOrEqual(inSpan(one));
    const gaps = three.slice(1).map((at, i) => at - three[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(800); // one per interval for the whole origin
  }, 40_000); // 12 s of activity by design, plus four tabs opened: more than the default on a loaded machine

  it('5a. after a sleep past the deadline, a tab shows signed out without ever showing active', async () => {
    const context = await newContext();
    const reported: string[] = [];
    await context.exposeFunction('__reportEvent', (type: string) => void reported.push(type));
    await context.clock.install();
    const page = await signIn(context, 'sleeper');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    reported.length = 0;
    // The laptop lid closes for a minute: time jumps, due timers fire at most once, late.
    await context.clock.fastForward(60_000);
    await page
      .evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
        document.dispatchEvent(new Event('visibilitychange'));
      })
      .catch(() => {}); // the late timer may already have signed it out and navigated: also right
    await page.waitForURL('**/signed-out?reason=idle*', { timeout: 5_000 });
    // Between the jump and the signed-out page the SDK said only "signed out": no active, no warning.
    expect(reported).toEqual(['signed-out']);
    expect((await serverStatus(context)).status).toBe(401);
  });

  it('5b. a hidden tab does not keep the session alive', async () => {
    const context = await newContext();
    const page = await signIn(context, 'hidden-tab');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForTimeout(IDLE_MS + 1_000);
    expect((await serverStatus(context)).status).toBe(401);
    await page.waitForURL('**/signed-out*', { timeout: 3_000 });
  });

  it('6a. a reload during the warning keeps the countdown', async () => {
    const context = await newContext();
    const page = await signIn(context, 'reloader');
    await dialogOf(page).waitFor({ timeout: IDLE_MS });
    const before = seconds(await countdownOf(page));
    await page.reload();
    await watch(page);
    await dialogOf(page).waitFor({ timeout: 1_500 });
    const after = seconds(await countdownOf(page));
    expect(after).toBeLessThanOrEqual(before);
    expect(before - after).toBeLessThanOrEqual(2);
    expect(await page.evaluate(() => window.__seen.events)).not.toContain('active');
  });

  it('6b. a new page after the deadline shows signed out at once', async () => {
    const context = await newContext();
    const page = await signIn(context, 'come-back-later');
    await page.close();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 1_500));
    const later = await context.newPage();
    const navigations: string[] = [];
    later.on('framenavigated', (frame) => navigations.push(new URL(frame.url()).pathname));
    await later.goto(`${demo.origin}/app`);
    expect(new URL(later.url()).pathname).toBe('/signed-out');
    expect(navigations).toEqual(['/signed-out']);
  });

  it('7a. keepalive failures (503, network error) show "can\'t reach the server", retry, and do not sign out early', async () => {
    // A longer schedule than the other tests: backoff retries need room before the deadline.
    const slow = await startDemoServer({ IDLE_TIMEOUT_MS: '30000', WARNING_MS: '20000' });
    try {
      const context = await newContext();
      const page = await signIn(context, 'flaky-network', slow.origin);
      let failures = 0;
      await context.route('**/session/keepalive', async (route) => {
        failures++;
        if (failures % 2) await route.fulfill({ status: PROTOCOL_ERRORS['store-unavailable'].status, contentType: 'application/json', body: JSON.stringify(errorBody('store-unavailable')) });
        else await route.abort('failed');
      });
      await beActive(page, 1_500);
      await page.waitForFunction(() => window.__seen.events.includes('unreachable'), undefined, { timeout: 5_000 });
      expect(await page.textContent('#reachable')).toMatch(/no/);
      await beActive(page, 3_000);
      expect(failures).toBeGreaterThanOrEqual(2); // it retried
      expect(page.url()).toMatch(/\/app$/); // and did not sign out before the deadline
      await context.unroute('**/session/keepalive');
      await beActive(page, 500);
      await page.waitForFunction(() => window.__seen.events.includes('reachable'), undefined, { timeout: 10_000 });
      expect(await page.textContent('#reachable')).toBe('yes');
      const status = await context.request.get(`${slow.origin}/session`);
      expect(((await status.json()) as { remainingMs: number }).remainingMs).toBeGreaterThan(25_000);
    } finally {
      await slow.stop();
    }
  });

  it('7b. a 401 signs out every tab', async () => {
    const context = await newContext();
    const first = await signIn(context, 'revoked');
    const second = await activeWhile(first, openApp(context));
    const logout = await context.request.post(`${demo.origin}/session/logout`, { headers: { Origin: demo.origin } });
    expect(logout.status()).toBe(200);
    await beActive(first, 1_500);
    await Promise.all([first.waitForURL('**/signed-out?reason=server*', { timeout: 5_000 }), second.waitForURL('**/signed-out?reason=server*', { timeout: 5_000 })]);
  });

  it('8. the dialog is accessible: no axe violations, focus inside and wrapping, Escape stays, focus returns, coarse live region', async () => {
    // Room for the checks before the deadline: warn at 3 s, sign out at 12 s.
    const roomy = await startDemoServer({ IDLE_TIMEOUT_MS: '12000', WARNING_MS: '9000' });
    try {
      // axe goes in as an inline script, which the demo's CSP (script-src 'self') refuses; the
      // demo's own pages run under that CSP in every other test (and e2e/demo-csp.test.ts).
      const context = await newContext({ bypassCSP: true });
      const page = await signIn(context, 'a11y', roomy.origin);
      await page.focus('#draft');
      await dialogOf(page).waitFor({ timeout: 5_000 });
      await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe;
        return (await axe.run()).violations.map((v) => `${v.id} (${v.nodes.length})`);
      });
      expect(violations).toEqual([]);
      // 320 CSS px wide: a phone, or a 640 px window at 200% zoom (WCAG 1.4.10 reflow). The dialog
      // and both buttons fit without horizontal scrolling.
      await page.setViewportSize({ width: 320, height: 640 });
      for (const part of [dialogOf(page), dialogOf(page).getByRole('button', { name: 'Stay signed in' }), dialogOf(page).getByRole('button', { name: 'Sign out' })]) {
        const box = (await part.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(320);
      }
      await page.setViewportSize({ width: 1000, height: 900 });
      expect(await focusedInDialog(page)).toBe('Stay signed in');
      await page.keyboard.press('Tab');
      expect(await focusedInDialog(page)).toBe('Sign out');
      await page.keyboard.press('Tab');
      expect(await focusedInDialog(page)).toBe('Stay signed in');
      await page.keyboard.press('Shift+Tab');
      expect(await focusedInDialog(page)).toBe('Sign out');
      await page.waitForTimeout(1_200); // let the visible countdown tick
      await page.keyboard.press('Escape');
      await dialogOf(page).waitFor({ state: 'hidden', timeout: 1_500 });
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('draft');
      const status = await context.request.get(`${roomy.origin}/session`);
      expect(((await status.json()) as { remainingMs: number }).remainingMs).toBeGreaterThan(10_000);
      const seen = await page.evaluate(() => window.__seen);
      // The visible m:ss ticked every second; the spoken text changed only in coarse steps, never repeating.
      expect(seen.countdowns.length).toBeGreaterThanOrEqual(2);
      expect(seen.live).toHaveLength(1);
      expect(seen.live[0]).toMatch(/sign you out in \d+ seconds?/);
    } finally {
      await roomy.stop();
    }
  });

  it('9. text typed in the demo textarea is back after sign-out and signing in again', async () => {
    const context = await newContext();
    const page = await signIn(context, 'writer');
    await page.fill('#draft', 'My unsaved essay');
    await page.click('#sign-out');
    await page.waitForURL('**/signed-out?reason=user*');
    expect(await page.textContent('#work')).toMatch(/kept/);
    await page.goto(`${demo.origin}/`);
    await page.fill('#username', 'writer');
    await Promise.all([page.waitForURL('**/app'), page.click('button[type=submit]')]);
    await page.waitForFunction(() => (document.getElementById('draft') as HTMLTextAreaElement).value === 'My unsaved essay', undefined, { timeout: 5_000 });
    const other = await signIn(await newContext(), 'someone-else');
    expect(await other.inputValue('#draft')).toBe('');
  });
});
