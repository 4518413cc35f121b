// What the warning says when "Stay signed in" cannot work and how it leaves the
// page title, in real Chromium: offline and 503 during the warning, the absolute lifetime,
// a sign-out while offline, and a title the app changes during the warning.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BASE_PATH, KEEPALIVE_PATH, PROTOCOL_ERRORS, errorBody } from '../protocol/index.ts';
import { startAppServer, type AppServerOptions, type RunningApp } from './app-server.ts';
import { browserUnavailable, launchBrowser } from './browser.ts';
import { APP_PAGE, openSignedIn, stayButton, warningOf } from './dialog-page.ts';

const UNREACHABLE = "Can't reach the server. Retrying…";

let browser: Browser;
const contexts: BrowserContext[] = [];
const apps: RunningApp[] = [];

async function app(idleTimeoutMs: number, warningMs: number, options: Partial<AppServerOptions> = {}): Promise<RunningApp> {
  const started = await startAppServer({ idleTimeoutMs, warningMs, pages: { '/app': { html: APP_PAGE } }, ...options });
  apps.push(started);
  return started;
}

async function warned(origin: string, timeoutMs: number): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await openSignedIn(context, origin);
  await warningOf(page).waitFor({ timeout: timeoutMs });
  return { page, context };
}

/** Records every text the warning's notice (its second live region) takes, in the page. */
const recordNotices = (page: Page) =>
  page.evaluate(() => {
    const notice = document.querySelector('[data-idle-logout-dialog]')!.shadowRoot!.getElementById('n')!;
    const seen: string[] = [];
    (window as unknown as { __notices: string[] }).__notices = seen;
    new MutationObserver(() => seen.push(notice.textContent ?? '')).observe(notice, { childList: true, characterData: true, subtree: true });
  });
const notices = (page: Page) => page.evaluate(() => (window as unknown as { __notices: string[] }).__notices);
const noticeOf = (page: Page) => ({ textContent: () => warningOf(page).getByRole('status').nth(1).textContent({ timeout: 1_000 }) });

describe.skipIf(browserUnavailable !== undefined)('the warning when staying cannot work (Chromium)', () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    await browser?.close();
    await Promise.all(apps.map((running) => running.stop()));
  });

  it('offline during the warning: "Stay signed in" says once that the server cannot be reached, and works once back online', async () => {
    // Warn 6 s after sign-in; 10 s of warning leave room for a few backoff retries. A retry
    // carries the time of the press (idleMs), so it closes the warning only while that press is
    // less than idle − warning (6 s) old.
    const { origin } = await app(16_000, 10_000);
    const { page, context } = await warned(origin, 8_000);
    await recordNotices(page);
    await context.setOffline(true);
    await stayButton(page).click();
    await expect.poll(() => noticeOf(page).textContent(), { timeout: 3_000 }).toBe(UNREACHABLE);
    await page.waitForTimeout(1_500); // a retry fails meanwhile: nothing new is said
    expect(await notices(page)).toEqual([UNREACHABLE]);
    expect(await stayButton(page).isEnabled()).toBe(true);
    await context.setOffline(false);
    await warningOf(page).waitFor({ state: 'hidden', timeout: 6_000 });
    expect(await page.evaluate(() => window.IdleLogout.handle!.getPhase())).toBe('active');
  });

  it('503 during the warning: the same notice; once the server answers, pressing again closes the warning', async () => {
    let unavailable = false;
    const { origin } = await app(14_000, 12_000, {
      intercept: (c) =>
        unavailable && c.req.path === DEFAULT_BASE_PATH + KEEPALIVE_PATH
          ? c.json(errorBody('store-unavailable'), PROTOCOL_ERRORS['store-unavailable'].status)
          : undefined,
    });
    const { page } = await warned(origin, 5_000);
    unavailable = true;
    await stayButton(page).click();
    await expect.poll(() => noticeOf(page).textContent(), { timeout: 3_000 }).toBe(UNREACHABLE);
    unavailable = false;
    await stayButton(page).click(); // pressing again retries at once
    await warningOf(page).waitFor({ state: 'hidden', timeout: 3_000 });
  });

  it('at the absolute lifetime: no "Stay signed in", the reason said, Escape sends nothing, signed out at the deadline', async () => {
    const { origin } = await app(6_000, 4_000, { session: { absoluteTimeoutMs: 6_000 } });
    const { page, context } = await warned(origin, 5_000);
    let keepalives = 0;
    context.on('request', (request) => void (request.url().endsWith('/session/keepalive') && keepalives++));
    expect(await noticeOf(page).textContent()).toBe('Your session has reached its time limit.');
    expect(await warningOf(page).getByRole('button').allTextContents()).toEqual(['Sign out']);
    // Escape, again and again: never a keepalive, and the browser never closes the dialog itself
    // (Chrome lets a repeated Escape close a modal <dialog> whose `cancel` is prevented).
    for (let i = 0; i < 3; i++) await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    expect(keepalives).toBe(0);
    expect(await warningOf(page).isVisible()).toBe(true);
    await page.waitForURL('**/signed-out?reason=idle*', { timeout: 6_000 });
  });

  it('signed out while offline: the page says so instead of a network error, and moves on once back online', async () => {
    const { origin } = await app(6_000, 3_000);
    const { page, context } = await warned(origin, 5_000);
    await context.setOffline(true);
    await warningOf(page)
      .getByRole('heading', { name: "You've been signed out. We'll go on once you're back online." })
      .waitFor({ timeout: 6_000 });
    expect(new URL(page.url()).pathname).toBe('/app');
    expect(await warningOf(page).getByRole('button').count()).toBe(0);
    await context.setOffline(false);
    await page.waitForURL('**/signed-out?reason=idle*', { timeout: 5_000 });
  });

  it('a title the app sets during the warning is kept after it, not the one from before', async () => {
    const { origin } = await app(14_000, 12_000);
    const { page } = await warned(origin, 5_000);
    await expect.poll(() => page.title()).toMatch(/^0:\d\d — /);
    await page.evaluate(() => (document.title = 'Inbox (3)'));
    await page.waitForTimeout(1_100); // a tick of the countdown: it shows in the title again
    await stayButton(page).click();
    await warningOf(page).waitFor({ state: 'hidden', timeout: 3_000 });
    expect(await page.title()).toBe('Inbox (3)');
  });
});
