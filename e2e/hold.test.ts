// `IdleLogout.hold()` in real Chromium tabs (raw CDP, e2e/cdp.ts: true background tabs), against
// the real server on a short schedule: a hold in a background tab keeps the session past the idle
// timeout with no input anywhere, and once the holding tab is closed the session ends as if its
// last input had been then.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type RunningApp } from './app-server.ts';
import { browserUnavailable } from './browser.ts';
import { launchCdpBrowser, signedInTabs, waitFor, type CdpBrowser, type CdpTab } from './cdp.ts';
import { HOLD_LEASE_MS, HOLD_RENEW_MS } from '../client/hold.ts';

// Long enough that signing in and opening both tabs fits in one idle timeout on a loaded machine
// (loading a page is not activity).
const IDLE_MS = 10_000;
const WARNING_MS = 4_000;
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Upload</title></head>
<body><h1>Upload</h1>{{script}}</body></html>`;

let app: RunningApp;
let browser: CdpBrowser | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The end of the latest lease in the shared record, as `tab` reads it from IndexedDB (0: none). */
const leaseEnd = (tab: CdpTab) =>
  tab.evaluate<number>(`new Promise((resolve) => {
    const open = indexedDB.open('idle-logout');
    open.onsuccess = () => {
      const get = open.result.transaction('state').objectStore('state').get('idle-logout');
      get.onsuccess = () => {
        open.result.close();
        resolve(Math.max(0, ...Object.values(get.result?.holds ?? {}).map((lease) => lease.until)));
      };
    };
  })`);

describe.skipIf(browserUnavailable !== undefined)('hold() in Chromium', () => {
  beforeAll(async () => {
    app = await startAppServer({ idleTimeoutMs: IDLE_MS, warningMs: WARNING_MS, pages: { '/app': { html: PAGE } } });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(() => app?.stop());

  it('a hold in a background tab keeps the session past the idle timeout; closing that tab lets it end', async () => {
    browser = await launchCdpBrowser();
    const [front, holder] = await signedInTabs(browser, `${app.origin}/app`, 2);
    await front!.bringToFront();
    expect(await holder!.evaluate('document.visibilityState')).toBe('hidden');
    await holder!.evaluate(`window.__release = IdleLogout.hold('upload'); 1`);

    // Three idle timeouts with no input anywhere: still signed in, never warned, in both tabs.
    await sleep(3 * IDLE_MS);
    for (const tab of [front!, holder!]) {
      expect(await tab.evaluate('IdleLogout.handle.getPhase()')).toBe('active');
      expect(await tab.evaluate('window.__events')).not.toContain('warning');
    }

    // The holding tab goes away: its hold ends with it (released on pagehide, and announced to the
    // front tab, which writes the release if the closing page could not), and the idle timeout
    // counts from then.
    const closedAt = Date.now();
    await holder!.close();
    await front!.waitFor(`window.__events.includes('warning')`, IDLE_MS + 2_000);
    const warnedAfterMs = Date.now() - closedAt;
    await front!.waitFor(`location.pathname === '/signed-out'`, WARNING_MS + 3_000);
    const signedOutAfterMs = Date.now() - closedAt;
    expect(warnedAfterMs).toBeGreaterThanOrEqual(IDLE_MS - WARNING_MS - 1_500);
    expect(signedOutAfterMs).toBeGreaterThanOrEqual(IDLE_MS - 1_500);
    expect(await front!.evaluate('new URLSearchParams(location.search).get("reason")')).toBe('idle');
  }, 90_000);

  it('a holding tab that navigates away into the back/forward cache stops renewing (its lease runs out); Back renews it', async () => {
    browser = await launchCdpBrowser();
    const [front, holder] = await signedInTabs(browser, `${app.origin}/app`, 2);
    await front!.bringToFront();
    await holder!.evaluate(`addEventListener('pagehide', (e) => sessionStorage.setItem('persisted', e.persisted)); IdleLogout.hold('upload'); 1`);
    await sleep(1_000);
    const leftAt = Date.now();
    await holder!.goto(`${app.origin}/signed-out`);
    expect(await holder!.evaluate(`sessionStorage.getItem('persisted')`)).toBe('true'); // it went into the cache
    const until = await leaseEnd(front!);
    expect(until).toBeGreaterThan(leftAt);
    expect(until).toBeLessThanOrEqual(leftAt + HOLD_LEASE_MS);
    // No renewal while it sits in the cache: the hold ends by itself at `until`, within one lease.
    await sleep(HOLD_RENEW_MS + 5_000);
    expect(await leaseEnd(front!)).toBe(until);
    expect(await front!.evaluate('IdleLogout.handle.getPhase()')).toBe('active');
    // Back restores the page (pageshow): it holds again at once.
    await holder!.evaluate('history.back(); 1');
    await waitFor('a renewed lease', async () => (await leaseEnd(front!)) > until, 5_000);
    expect(await holder!.evaluate(`location.pathname`)).toBe('/app');
  }, 120_000);

  it('release() in the holding tab: the idle timeout counts from the release', async () => {
    browser = await launchCdpBrowser();
    const [front, holder] = await signedInTabs(browser, `${app.origin}/app`, 2);
    await front!.bringToFront();
    await holder!.evaluate(`window.__release = IdleLogout.hold('video call'); 1`);
    await sleep(2 * IDLE_MS);
    expect(await front!.evaluate('window.__events')).not.toContain('warning');
    await holder!.evaluate(`window.__release(); window.__release(); 1`);
    const releasedAt = Date.now();
    await front!.waitFor(`window.__events.includes('warning')`, IDLE_MS + 2_000);
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(IDLE_MS - WARNING_MS - 1_500);
    await front!.waitFor(`location.pathname === '/signed-out'`, WARNING_MS + 3_000);
  }, 60_000);
});
