// Frozen background tabs in real Chromium (raw CDP, e2e/cdp.ts): Playwright's pages are never
// hidden or frozen, so only true background tabs and `Page.setWebLifecycleState {state: 'frozen'}`
// show what Energy Saver and Android do to a tab. The promise: with any tab frozen, a user typing
// elsewhere is never warned and keepalives keep their schedule.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type RunningApp } from './app-server.ts';
import { browserUnavailable } from './browser.ts';
import { launchCdpBrowser, signedInTabs as openTabs, type CdpBrowser, type CdpTab } from './cdp.ts';

// Short, but long enough that the keepalive spacing (1 s here) and the warning are far apart.
const IDLE_MS = 12_000;
const WARNING_MS = 6_000;
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title></head>
<body><h1>Account</h1><textarea id="editor"></textarea>{{script}}</body></html>`;

let app: RunningApp;
let browser: CdpBrowser | undefined;
/** Arrival times (ms) of keepalives at the server. */
let keepalives: number[] = [];

/**
 * How long a read-write transaction on the SDK's database takes from `tab` (ms; -1 past 3 s).
 * A transaction a frozen tab holds open makes this wait until Chromium aborts it (~60 s).
 */
const storeWriteMs = (tab: CdpTab) =>
  tab.evaluate<number>(`new Promise((resolve) => {
    const startedAt = performance.now();
    setTimeout(() => resolve(-1), 3000);
    const open = indexedDB.open('idle-logout');
    open.onsuccess = () => {
      const transaction = open.result.transaction('state', 'readwrite');
      transaction.objectStore('state').get('idle-logout');
      transaction.oncomplete = () => {
        open.result.close();
        resolve(performance.now() - startedAt);
      };
    };
  })`);

async function signedInTabs(count: number): Promise<CdpTab[]> {
  browser = await launchCdpBrowser();
  return openTabs(browser, `${app.origin}/app`, count);
}

const events = (tab: CdpTab) => tab.evaluate<string[]>('window.__events ?? ["(navigated) " + location.pathname]');

/** The user works in `tab`: brings it to the front and types into the editor for `ms`. */
async function typeIn(tab: CdpTab, ms: number): Promise<void> {
  await tab.bringToFront();
  await tab.evaluate(`document.getElementById('editor').focus()`);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await tab.type('a');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The longest wait between two keepalives from `since`, including the wait until the first and after the last. */
function longestGapMs(since: number, until: number): number {
  const times = [since, ...keepalives.filter((at) => at >= since && at <= until), until];
  return Math.max(...times.slice(1).map((at, i) => at - times[i]!));
}

describe.skipIf(browserUnavailable !== undefined)('frozen tabs in Chromium', () => {
  beforeAll(async () => {
    app = await startAppServer({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/app': { html: PAGE } },
      intercept: (c) => {
        if (c.req.method === 'POST' && c.req.path === '/session/keepalive') keepalives.push(Date.now());
        return undefined;
      },
    });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    keepalives = [];
  });
  afterAll(() => app?.stop());

  it('leader frozen, the user types in two other tabs: keepalives keep their schedule, no warning', async () => {
    const [leader, b, c] = await signedInTabs(3);
    await b!.bringToFront();
    expect(await leader!.evaluate('document.visibilityState')).toBe('hidden');
    await leader!.freeze();
    const since = Date.now();
    for (let i = 0; i < 4; i++) await typeIn(i % 2 ? c! : b!, IDLE_MS / 2);
    const until = Date.now();
    // The root: the frozen tab holds nothing, so the store is not stalled at all.
    expect(await storeWriteMs(c!)).toBeGreaterThanOrEqual(0);
    expect(await storeWriteMs(c!)).toBeLessThan(1_000);
    expect(await events(b!)).not.toContain('warning');
    expect(await events(c!)).not.toContain('warning');
    // Keepalives come at most every max(1 s, interval) + leader grace + a loaded machine's slack.
    expect(longestGapMs(since, until)).toBeLessThan(IDLE_MS - WARNING_MS);
    await leader!.resume();
    await leader!.waitFor(`IdleLogout.handle.getPhase() === 'active'`, 3_000);
  }, 90_000);

  it('leader frozen, "Stay signed in" in another tab: the warning closes in every unfrozen tab and the session goes on', async () => {
    const [leader, b, c] = await signedInTabs(3);
    await b!.bringToFront();
    await leader!.freeze();
    await typeIn(b!, 1_000); // a write and a notification the frozen tab hears
    await b!.waitFor(`window.__events.includes('warning')`, IDLE_MS);
    await b!.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Escape', code: 'Escape', windowsVirtualKeyCode: 27 });
    await b!.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Escape', code: 'Escape', windowsVirtualKeyCode: 27 });
    const pressedAt = Date.now();
    await b!.waitFor(`window.__events.includes('stay')`, 3_000);
    await c!.waitFor(`window.__events.includes('stay')`, 3_000);
    expect(Date.now() - pressedAt).toBeLessThan(3_000);
    expect(keepalives.length).toBeGreaterThanOrEqual(1);
    // Past the deadline the warning had counted down to: still signed in, in both tabs.
    await new Promise((resolve) => setTimeout(resolve, WARNING_MS + 1_000));
    expect(await b!.evaluate('IdleLogout.handle.getPhase()')).not.toBe('signed-out');
    expect(await c!.evaluate('IdleLogout.handle.getPhase()')).not.toBe('signed-out');
    await leader!.resume();
  }, 90_000);

  it('an ordinary background tab frozen while the user types in the leader: no late keepalive, no warning', async () => {
    const [leader, background] = await signedInTabs(2);
    await leader!.bringToFront();
    await background!.freeze();
    const since = Date.now();
    await typeIn(leader!, 2 * IDLE_MS);
    const until = Date.now();
    expect(await storeWriteMs(leader!)).toBeGreaterThanOrEqual(0);
    expect(await events(leader!)).not.toContain('warning');
    expect(longestGapMs(since, until)).toBeLessThan(IDLE_MS - WARNING_MS);
    await background!.resume();
    // Back from the freeze, the tab catches up at once (resume is a wake-up) and shows the live session.
    await background!.waitFor(`IdleLogout.handle.getPhase() === 'active'`, 3_000);
  }, 90_000);

  it('a tab frozen in the middle of its own transactions lets go of them: the others write at once', async () => {
    const [busy, other] = await signedInTabs(2);
    await other!.bringToFront();
    // Keep the background tab writing the shared record without pause ("stay" writes it), so a
    // read-write transaction of its own is in flight when it freezes: its put runs in the page,
    // after its get, so a frozen page never finishes it unless it aborts it first.
    await busy!.evaluate(`setInterval(() => IdleLogout.handle.staySignedIn(), 1); 1`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await busy!.freeze();
    await typeIn(other!, 1_000);
    expect(await storeWriteMs(other!)).toBeGreaterThanOrEqual(0);
    expect(await events(other!)).not.toContain('warning');
    await busy!.resume();
    await busy!.waitFor(`IdleLogout.handle.getPhase() === 'active'`, 3_000);
  }, 60_000);
});
