// A sign-out reaches every open tab within 1 s, without input in them, in real Chromium with true
// background tabs (raw CDP, e2e/cdp.ts). The schedule is long (60 s idle) so that no tab's own
// timer fires within the window: only the sign-out itself can move them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type RunningApp } from './app-server.ts';
import { browserUnavailable } from './browser.ts';
import { launchCdpBrowser, signedInTabs, waitFor, type CdpBrowser, type CdpTab } from './cdp.ts';

const IDLE_MS = 60_000;
const WARNING_MS = 20_000;
const REACH_MS = 1_000;
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title></head>
<body><h1>Account</h1>{{script}}</body></html>`;

let app: RunningApp;
let browser: CdpBrowser | undefined;
/** Arrival times (ms) of requests for the signed-out page: one per tab that got there. */
let signedOutPages: number[] = [];

/** Opens three tabs; the first is in front, the other two are background tabs that get no input. */
async function threeTabs(): Promise<CdpTab[]> {
  browser = await launchCdpBrowser();
  const tabs = await signedInTabs(browser, `${app.origin}/app`, 3);
  await tabs[0]!.bringToFront();
  expect(await tabs[1]!.evaluate('document.visibilityState')).toBe('hidden');
  signedOutPages = [];
  return tabs;
}

/** Waits until every tab asked for the signed-out page; returns how long the last took after `since`. */
async function allSignedOutAfterMs(tabs: CdpTab[], since: number): Promise<number> {
  await waitFor(`${tabs.length} signed-out pages`, () => signedOutPages.length >= tabs.length, 10_000).catch(async (error: Error) => {
    const seen = await Promise.all(tabs.map((tab) => tab.evaluate(`location.pathname + ' ' + JSON.stringify(window.__events)`)));
    throw new Error(`${error.message}; tabs: ${JSON.stringify(seen)}; page errors: ${JSON.stringify(tabs.map((tab) => tab.errors))}`);
  });
  return Math.max(...signedOutPages) - since;
}

describe.skipIf(browserUnavailable !== undefined)('a sign-out reaches every tab in Chromium', () => {
  beforeAll(async () => {
    app = await startAppServer({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      // `/late` loads without a live session too: a tab opened after the session ended elsewhere.
      pages: {
        '/app': { html: PAGE },
        '/late': { html: PAGE, signedIn: false },
        '/elsewhere': { html: '<!doctype html><html lang="en"><title>Elsewhere</title><p>Not the app</p></html>', signedIn: false },
      },
      intercept: (c) => {
        if (c.req.method === 'GET' && c.req.path === '/signed-out') signedOutPages.push(Date.now());
        return undefined;
      },
    });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(() => app?.stop());

  it('handle.signOut() in one tab: the two background tabs follow within 1 s', async () => {
    const tabs = await threeTabs();
    const since = Date.now();
    await tabs[0]!.evaluate('IdleLogout.handle.signOut()');
    expect(await allSignedOutAfterMs(tabs, since)).toBeLessThan(REACH_MS);
  }, 60_000);

  it('a 401 seen by one tab: the two background tabs follow within 1 s', async () => {
    const tabs = await threeTabs();
    // The session ends elsewhere (another device, an admin); no open tab knows yet.
    expect(await tabs[0]!.evaluate(`fetch('/session/logout', { method: 'POST' }).then((r) => r.status)`)).toBe(200);
    // A tab opened now asks the server for the status first thing, gets the 401 and records it
    // (no other write comes before it that could wake the others).
    const since = Date.now();
    tabs.push(await browser!.newTab(`${app.origin}/late`));
    expect(await allSignedOutAfterMs(tabs, since)).toBeLessThan(REACH_MS);
  }, 60_000);

  it('a tab restored from the back/forward cache rejoins: it follows a sign-out within 1 s', async () => {
    const tabs = await threeTabs();
    const restored = tabs[2]!;
    await restored.evaluate('window.__before = true');
    await restored.goto(`${app.origin}/elsewhere`);
    await restored.evaluate('history.back()');
    await restored.waitFor(`location.pathname === '/app'`, 5_000);
    expect(await restored.evaluate('window.__before === true')).toBe(true); // the same page, from the cache
    signedOutPages = [];
    const since = Date.now();
    await tabs[0]!.evaluate('IdleLogout.handle.signOut()');
    expect(await allSignedOutAfterMs(tabs, since)).toBeLessThan(REACH_MS);
  }, 60_000);
});
