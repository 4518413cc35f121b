// The script tag alone, as a page without other code would use it: its own words
// through data-text-*, no "Sign out" button, and a timeout URL apart from the signed-out URL. One
// short server schedule (idle 6 s, warning 3 s, absolute lifetime 9 s) takes the page through a
// warning it stays through, the last warning at the absolute lifetime, and the timeout.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, openLive, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';

const PAGE = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Appli</title>{{script}}</head>
<body><h1>Appli</h1><button id="edit">Modifier</button></body></html>`;
const TIMED_OUT = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Expiré</title></head><body><h1>Expiré</h1></body></html>`;

const ATTRIBUTES = [
  'data-signed-out-url="/signed-out"',
  'data-timeout-url="/timed-out"',
  'data-sign-out-button="false"',
  'data-text-heading="Vous allez être déconnecté"',
  'data-text-message="Par sécurité, nous vous déconnecterons dans {time}."',
  'data-text-stay-signed-in="Rester connecté"',
  'data-text-time-limit="Votre session a atteint sa durée maximale."',
  'data-text-second-one="{n} seconde"',
  'data-text-second-other="{n} secondes"',
].join(' ');

const suite = new AppSuite();
let app: RunningApp;

/** What the dialog shows: heading, note, visible buttons, what has focus, its lang. */
const dialogState = (page: Page) =>
  page.evaluate(() => {
    const root = document.querySelector('[data-idle-logout-dialog]')!.shadowRoot!;
    const dialog = root.querySelector('dialog')!;
    return {
      lang: dialog.lang,
      heading: root.querySelector('h2')!.textContent,
      message: root.getElementById('m')!.textContent,
      note: root.getElementById('n')!.textContent,
      buttons: [...root.querySelectorAll('button')].filter((button) => !button.hidden).map((button) => button.textContent),
      focused: root.activeElement === dialog ? 'dialog' : root.activeElement?.textContent,
    };
  });

describe.skipIf(browserUnavailable !== undefined)('the script tag alone: strings, no sign-out button, timeout URL', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    app = await suite.app({
      idleTimeoutMs: 6_000,
      warningMs: 3_000,
      session: { absoluteTimeoutMs: 9_000 },
      scriptAttributes: ATTRIBUTES,
      pages: { '/app': { html: PAGE }, '/timed-out': { html: TIMED_OUT, signedIn: false } },
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('warns in its own words with "Stay" alone, then at the absolute lifetime with no button, then goes to the timeout URL', async () => {
    const page = await (await suite.newContext()).newPage();
    await signIn(page, app.origin);
    await openLive(page, `${app.origin}/app`);
    const dialog = page.getByRole('alertdialog');

    await dialog.waitFor({ timeout: 8_000 });
    const first = await dialogState(page);
    expect(first).toMatchObject({ lang: 'fr', heading: 'Vous allez être déconnecté', note: '', buttons: ['Rester connecté'], focused: 'Rester connecté' });
    expect(first.message).toMatch(/^Par sécurité, nous vous déconnecterons dans \d secondes?\.$/);
    await page.keyboard.press('Tab');
    expect((await dialogState(page)).focused).toBe('Rester connecté');
    await page.keyboard.press('Escape'); // stays: the server extends to the absolute lifetime
    await dialog.waitFor({ state: 'hidden', timeout: 3_000 });

    await dialog.waitFor({ timeout: 8_000 });
    await expect.poll(async () => (await dialogState(page)).note, { timeout: 3_000 }).toBe('Votre session a atteint sa durée maximale.');
    expect(await dialogState(page)).toMatchObject({ buttons: [], focused: 'dialog' });

    await page.waitForURL('**/timed-out?reason=idle', { timeout: 8_000 });
  });

  it('a sign-out by the user still goes to the signed-out URL', async () => {
    const page = await (await suite.newContext()).newPage();
    await signIn(page, app.origin);
    await openLive(page, `${app.origin}/app`);
    await page.evaluate(() => window.IdleLogout.handle!.signOut());
    await page.waitForURL('**/signed-out?reason=user', { timeout: 8_000 });
  });
});
