// The warning above the app's own top-layer content and its look and focus in
// real Chromium: an app modal <dialog> opened before or during the warning, a popover,
// a click on the backdrop, forced colours and a dark colour scheme.
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type RunningApp } from './app-server.ts';
import { browserUnavailable, launchBrowser } from './browser.ts';
import { APP_PAGE, focusedInWarning, openSignedIn, stayButton, stayIsOnTop, warningOf } from './dialog-page.ts';

// Warn 2 s after the last keepalive; 8 s of warning leave room for the checks.
const IDLE_MS = 10_000;
const WARNING_MS = 8_000;
const require = createRequire(import.meta.url);

let browser: Browser;
let app: RunningApp;
const contexts: BrowserContext[] = [];

async function warnedPage(options: BrowserContextOptions = {}, beforeWarning?: (page: Page) => Promise<unknown>): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, ...options });
  contexts.push(context);
  const page = await openSignedIn(context, app.origin);
  await beforeWarning?.(page);
  await warningOf(page).waitFor({ timeout: IDLE_MS });
  return page;
}

const openAppModal = (page: Page) =>
  page.evaluate(() => {
    (document.getElementById('confirm') as HTMLDialogElement).showModal();
    document.getElementById('confirm-ok')!.focus();
  });

/** After "Stay": the warning is gone, the app's modal is still the open modal and has focus back. */
async function expectAppModalBack(page: Page): Promise<void> {
  await warningOf(page).waitFor({ state: 'hidden', timeout: 3_000 });
  expect(await page.evaluate(() => document.getElementById('confirm')!.matches(':modal'))).toBe(true);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-ok');
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
}

describe.skipIf(browserUnavailable !== undefined)('the warning in the top layer (Chromium)', () => {
  beforeAll(async () => {
    app = await startAppServer({ idleTimeoutMs: IDLE_MS, warningMs: WARNING_MS, pages: { '/app': { html: APP_PAGE } } });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})));
    await browser?.close();
    await app?.stop();
  });

  it('an app modal opened before the warning: "Stay signed in" is reachable by Tab and pointer; the app modal keeps focus after', async () => {
    const page = await warnedPage({}, openAppModal);
    expect(await focusedInWarning(page)).toBe('Stay signed in');
    await page.keyboard.press('Tab');
    expect(await focusedInWarning(page)).toBe('Sign out');
    await page.keyboard.press('Tab');
    expect(await focusedInWarning(page)).toBe('Stay signed in');
    await expect.poll(() => stayIsOnTop(page), { timeout: 2_000 }).toBe(true); // (after its fade-in)
    expect(await axeViolations(page)).toEqual([]);
    await stayButton(page).click({ timeout: 3_000 });
    await expectAppModalBack(page);
  });

  it('an app modal opened while the warning shows: the warning comes back on top and keeps focus', async () => {
    const page = await warnedPage();
    await openAppModal(page);
    await page.waitForFunction(() => document.activeElement?.hasAttribute('data-idle-logout-dialog'), undefined, { timeout: 2_000 });
    expect(await focusedInWarning(page)).toBe('Stay signed in');
    await expect.poll(() => stayIsOnTop(page), { timeout: 2_000 }).toBe(true); // (after its fade-in)
    await stayButton(page).click({ timeout: 3_000 });
    await expectAppModalBack(page);
  });

  it('a popover opened while the warning shows does not cover it: a tap reaches "Stay signed in"', async () => {
    const page = await warnedPage({ hasTouch: true });
    await page.evaluate(() => document.getElementById('pop')!.showPopover());
    await page.waitForFunction(() => document.getElementById('pop')!.matches(':popover-open'));
    await expect.poll(() => stayIsOnTop(page), { timeout: 2_000 }).toBe(true);
    await stayButton(page).tap({ timeout: 3_000 });
    await warningOf(page).waitFor({ state: 'hidden', timeout: 3_000 });
  });

  it('focus returns into a web component that had it', async () => {
    const page = await warnedPage({}, (p) => p.focus('x-editor >> #inner'));
    expect(await focusedInWarning(page)).toBe('Stay signed in');
    await page.keyboard.press('Escape');
    await warningOf(page).waitFor({ state: 'hidden', timeout: 3_000 });
    expect(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id)).toBe('inner');
  });

  it('a click on the backdrop leaves focus in the warning', async () => {
    const page = await warnedPage();
    await page.mouse.click(4, 4);
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-idle-logout-dialog'))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focusedInWarning(page)).not.toBeNull();
  });

  it('in forced colours the primary and the secondary button look different', async () => {
    const page = await warnedPage();
    await page.emulateMedia({ forcedColors: 'active' });
    const looks = await warningOf(page)
      .getByRole('button')
      .evaluateAll((buttons) =>
        buttons.map((button) => {
          const style = getComputedStyle(button);
          return [style.backgroundColor, style.color, style.borderStyle, style.borderWidth, style.forcedColorAdjust].join(' ');
        }),
      );
    expect(looks).toHaveLength(2);
    expect(looks[0]).not.toBe(looks[1]);
  });

  it('in Welsh at 320 CSS px (a phone, or 200% zoom) the dialog and its buttons fit without scrolling sideways', async () => {
    const welsh = await startAppServer({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/app': { html: APP_PAGE } },
      scriptAttributes: 'data-signed-out-url="/signed-out" data-locale="cy"',
    });
    try {
      const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
      contexts.push(context);
      const page = await openSignedIn(context, welsh.origin);
      await warningOf(page).waitFor({ timeout: IDLE_MS });
      const parts = [warningOf(page), ...(await warningOf(page).getByRole('button').all())];
      expect(parts).toHaveLength(3);
      expect(await parts[1]!.textContent()).toBe('Parhau i fod wedi’ch mewngofnodi');
      for (const part of parts) {
        const box = (await part.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(320);
      }
    } finally {
      await welsh.stop();
    }
  });

  it('in a dark colour scheme the warning is dark, and axe finds no contrast problems', async () => {
    const page = await warnedPage({ colorScheme: 'dark' });
    const background = await warningOf(page).evaluate((dialog) => getComputedStyle(dialog).backgroundColor);
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    expect(r! + g! + b!).toBeLessThan(3 * 80);
    expect(await axeViolations(page)).toEqual([]);
  });
});
