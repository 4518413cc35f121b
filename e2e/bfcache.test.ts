// Back after a sign-out, with Chromium's back/forward cache on (Playwright turns it off unless told)
// and pages served WITHOUT `Cache-Control: no-store`, as the README's script-tag set-up serves them.
// A restore from the cache runs no request: only the SDK in the page can keep it from showing the
// signed-in content. Each page records, in sessionStorage (per tab, same origin: readable from the
// signed-out page), what a restore showed at `pageshow` and at its first frame.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, openLive, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';

const IDLE_MS = 6_000;
const WARNING_MS = 3_000;

/** What the account page's balance looked like when restored from the cache (`pageshow` persisted). */
type Restore = { atPageShow: string; firstFrame?: string };

const ACCOUNT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title>{{script}}</head>
<body><h1>Your account</h1><p id="balance">Balance £12,345.67</p><label>Transfer <input id="transfer"></label>
<script>
addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  const seen = () => getComputedStyle(document.getElementById('balance')).visibility;
  const restores = JSON.parse(sessionStorage.getItem('restores') ?? '[]');
  const restore = { atPageShow: seen() };
  restores.push(restore);
  const save = () => sessionStorage.setItem('restores', JSON.stringify(restores));
  save();
  requestAnimationFrame(() => { restore.firstFrame = seen(); save(); });
});
</script></body></html>`;

const suite = new AppSuite();
let app: RunningApp;

async function signedInPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await suite.newContext();
  const page = await context.newPage();
  await signIn(page, app.origin, 'saver');
  return { context, page };
}

const openAccount = (page: Page) => openLive(page, `${app.origin}/account`);

const restoresOf = (page: Page): Promise<Restore[]> => page.evaluate(() => JSON.parse(sessionStorage.getItem('restores') ?? '[]') as Restore[]);

/** Paths this tab's main frame showed from now on. */
function pathsOf(page: Page): string[] {
  const paths: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) paths.push(new URL(frame.url()).pathname + new URL(frame.url()).search);
  });
  return paths;
}

describe.skipIf(browserUnavailable !== undefined)('Back after sign-out, back/forward cache on, pages not no-store', () => {
  beforeAll(async () => {
    app = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: {
        '/account': { html: ACCOUNT },
        // No SDK here: a page the user went to meanwhile (the bank's help pages, another site).
        '/elsewhere': { html: '<!doctype html><title>Elsewhere</title><p>Elsewhere</p>', signedIn: false },
      },
    });
    await suite.launch({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  }, 60_000);

  afterAll(() => suite.close());

  it('a live page still goes into the cache and comes back shown, still signed in', async () => {
    const { page } = await signedInPage();
    await openAccount(page);
    await page.goto(`${app.origin}/elsewhere`);
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => getComputedStyle(document.getElementById('balance')!).visibility === 'visible', undefined, { timeout: 2_000 });
    expect(await restoresOf(page)).toHaveLength(1); // it came from the cache, not the network
    expect(await page.evaluate(() => window.IdleLogout.handle!.getPhase())).toBe('active');
  });

  it('Back after an idle sign-out never shows the account page, and leaves it for the signed-out page', async () => {
    const { page } = await signedInPage();
    await openAccount(page);
    await page.fill('#transfer', '£500 to Mallory');
    await page.waitForURL('**/signed-out?reason=idle', { timeout: IDLE_MS + 5_000 });
    const paths = pathsOf(page);
    await page.goBack({ waitUntil: 'commit' });
    await expect.poll(() => paths, { timeout: 5_000 }).toEqual(['/account', '/signed-out?reason=idle']);
    await page.waitForLoadState();
    // Restored from the cache (pageshow persisted), and hidden from the first moment.
    const restores = await restoresOf(page);
    expect(restores).toHaveLength(1);
    expect(restores[0]!.atPageShow).toBe('hidden');
    expect(restores[0]!.firstFrame ?? 'hidden').toBe('hidden'); // no frame at all before it left is fine too
    expect(await page.textContent('h1')).toBe('Signed out');
  });

  it('a sign-out in another tab while the page sat in the cache: Back never shows it either', async () => {
    const { context, page } = await signedInPage();
    await openAccount(page);
    await page.fill('#transfer', '£500 to Mallory');
    await page.goto(`${app.origin}/elsewhere`); // the account page goes into the cache
    const other = await context.newPage();
    await openAccount(other);
    await other.evaluate(() => window.IdleLogout.handle!.signOut());
    await other.waitForURL('**/signed-out?reason=user');
    const paths = pathsOf(page);
    await page.goBack({ waitUntil: 'commit' });
    await expect.poll(() => paths.at(-1), { timeout: 5_000 }).toMatch(/^\/signed-out\?reason=/);
    await page.waitForLoadState();
    const restores = await restoresOf(page);
    // Chromium may drop a cached page that a BroadcastChannel message was sent to; then Back loads
    // it from the server, which redirects. Either way no frame showed the balance.
    console.log(`e2e bfcache: other-tab sign-out, restored from the cache: ${restores.length === 1}, paths ${paths.join(' → ')}`);
    for (const restore of restores) {
      expect(restore.atPageShow).toBe('hidden');
      expect(restore.firstFrame ?? 'hidden').toBe('hidden');
    }
  });
});
