// Typing inside an iframe is activity. Input in a frame is dispatched in the frame's own window and
// never reaches the page's, so the SDK listens in same-origin frames (also ones added later), and a
// cross-origin frame reports its input with postMessage, accepted only from `data-activity-origins`.
// Two app servers give two origins; a third origin is the second server under another host name.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, openLive, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';

const IDLE_MS = 6_000;
const WARNING_MS = 3_000;

const EDITOR = '<!doctype html><title>Editor</title><textarea id="editor" aria-label="Editor"></textarea>';
// What the README tells a cross-origin frame to do: post the message to the page's origin on input.
const REPORTING_EDITOR = `${EDITOR}<script>
const page = new URL(document.referrer).origin;
for (const type of ['keydown', 'pointerdown']) addEventListener(type, () => parent.postMessage('idle-logout:activity', page), true);
</script>`;
const host = (src: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Compose</title>{{script}}</head>
<body><h1>Compose</h1><iframe id="frame" src="${src}" width="400" height="200"></iframe></body></html>`;

const suite = new AppSuite();
let app: RunningApp;
let frames: RunningApp;
/** The frames server under another host name: an origin the app lists in data-activity-origins. */
let listedOrigin: string;

async function open(path: string): Promise<Page> {
  const page = await (await suite.newContext()).newPage();
  await signIn(page, app.origin, 'writer');
  await openLive(page, `${app.origin}${path}`);
  await page.evaluate(() => {
    (window as unknown as { __warnings: number }).__warnings = 0;
    window.IdleLogout.handle!.on('warning', () => (window as unknown as { __warnings: number }).__warnings++);
  });
  return page;
}

/**
 * Types into the frame's editor, key by key, for `ms` (longer than the time to the warning), and
 * says how many warnings the page opened meanwhile (a sign-out, which leaves the page, counts as one).
 */
async function warningsWhileTyping(page: Page, ms: number): Promise<number> {
  const editor = page.frameLocator('#frame').locator('#editor');
  await editor.click();
  const path = new URL(page.url()).pathname;
  let keys = 0;
  for (const end = Date.now() + ms; Date.now() < end && new URL(page.url()).pathname === path; keys++) {
    await page.keyboard.press('KeyA');
    await page.waitForTimeout(200);
  }
  if (new URL(page.url()).pathname !== path) return Infinity;
  const warnings = await page.evaluate(() => (window as unknown as { __warnings: number }).__warnings);
  // Without a warning taking focus, every key landed in the frame's editor.
  if (!warnings) expect(await editor.inputValue()).toBe('a'.repeat(keys));
  return warnings;
}

describe.skipIf(browserUnavailable !== undefined)('typing inside an iframe is activity', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    frames = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/editor': { html: REPORTING_EDITOR, signedIn: false } },
    });
    listedOrigin = frames.origin.replace('localhost', '127.0.0.1');
    const later = `<script>setTimeout(() => { const f = document.createElement('iframe'); f.id = 'frame'; f.src = '/editor'; document.body.append(f); }, 300);</script>`;
    app = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      scriptAttributes: `data-signed-out-url="/signed-out" data-activity-origins="${listedOrigin}"`,
      pages: {
        '/editor': { html: EDITOR },
        '/same-origin': { html: host('/editor') },
        '/added-later': { html: host('about:blank').replace(/<iframe.*<\/iframe>/, later) },
        '/cross-origin': { html: host(`${listedOrigin}/editor`) },
        '/unlisted-origin': { html: host(`${frames.origin}/editor`) },
      },
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('same-origin: continuous typing in the frame never opens the warning', async () => {
    const page = await open('/same-origin');
    expect(await warningsWhileTyping(page, IDLE_MS + 2_000)).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('frame'); // focus stayed in the editor
  });

  it('same-origin, added after the SDK started: counts too', async () => {
    const page = await open('/added-later');
    await page.waitForSelector('#frame');
    expect(await warningsWhileTyping(page, IDLE_MS + 2_000)).toBe(0);
  });

  it('cross-origin, from an origin in data-activity-origins: its posted reports count', async () => {
    const page = await open('/cross-origin');
    expect(await warningsWhileTyping(page, IDLE_MS + 2_000)).toBe(0);
  });

  it('cross-origin, from an origin not listed: its reports are ignored, and the warning comes', async () => {
    const page = await open('/unlisted-origin');
    expect(await warningsWhileTyping(page, IDLE_MS - WARNING_MS + 1_500)).toBe(1);
  });
});
