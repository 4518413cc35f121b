// Kept work (data-keep-work) with three tabs of one page in one browser: at a sign-out every tab
// saves its fields at the same moment. A draft typed in any one of them must survive the other two
// tabs' empty fields, and only a tab that kept something may say so on the signed-out page.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, openLive, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';

const COMPOSE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Compose</title>{{script}}</head>
<body><h1>Compose</h1><label>Message <textarea id="draft" data-idle-logout-keep></textarea></label></body></html>`;

const suite = new AppSuite();
let app: RunningApp;

async function openCompose(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await openLive(page, `${app.origin}/compose`);
  return page;
}

describe.skipIf(browserUnavailable !== undefined)('kept work with three tabs of one page', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    app = await suite.app({
      // Long enough that no idle sign-out happens during a round: the user signs out.
      idleTimeoutMs: 60_000,
      warningMs: 20_000,
      scriptAttributes: 'data-signed-out-url="/signed-out" data-keep-work data-keep-work-user="writer"',
      pages: { '/compose': { html: COMPOSE } },
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('a draft in any one tab survives the sign-out, and only that tab says it was kept', async () => {
    const context = await suite.newContext();
    const start = await context.newPage();
    // Four rounds, the draft in a different tab each time, the sign-out from yet another.
    for (let round = 0; round < 4; round++) {
      await signIn(start, app.origin, 'writer');
      const tabs = [await openCompose(context), await openCompose(context), await openCompose(context)];
      const writer = round % 3;
      const draft = `Round ${round}: my unsaved letter`;
      await tabs[writer]!.fill('#draft', draft);
      await tabs[(writer + 1) % 3]!.evaluate(() => window.IdleLogout.handle!.signOut());
      // A wake-up in the other tabs makes them look at the shared record now, so this test does not
      // depend on the sign-out's own notification (client/start.test.ts "sign out" in one tab covers that).
      await Promise.all(tabs.map((tab) => tab.evaluate(() => dispatchEvent(new Event('focus'))).catch(() => {})));
      await Promise.all(tabs.map((tab) => tab.waitForURL('**/signed-out?reason=user*', { timeout: 10_000 }))).catch((error: Error) => {
        throw new Error(`${error.message}; the tabs are at ${tabs.map((tab) => tab.url()).join(', ')}`);
      });
      const kept = tabs.map((tab) => new URL(tab.url()).searchParams.get('kept'));

      await signIn(start, app.origin, 'writer');
      const back = await openCompose(context);
      await expect.poll(() => back.inputValue('#draft'), { timeout: 3_000 }).toBe(draft);
      expect(kept).toEqual(tabs.map((_, i) => (i === writer ? '1' : null)));
      await Promise.all([...tabs, back].map((tab) => tab.close()));
      await start.evaluate(() => fetch('/session/logout', { method: 'POST', body: '{}' }));
    }
  });
});
