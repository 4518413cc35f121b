// Shared by the dialog browser suites: an app page with its own modal <dialog> and a popover (the
// top-layer content that used to hide the warning), and the steps to reach it signed in.
import { inflateSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';

/** An account page with the app's own top-layer content (a modal `<dialog>`, a big popover) and a web component. */
export const APP_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Account</title>
<style>#confirm,#pop{width:90vw;height:90vh;background:#c00;color:#fff}</style></head><body>
<main><h1>Account</h1><label>Draft <textarea id="draft"></textarea></label><x-editor></x-editor></main>
<script>customElements.define('x-editor', class extends HTMLElement {
  constructor() { super(); this.attachShadow({ mode: 'open' }).innerHTML = '<label>Note <input id="inner"></label>'; }
});</script>
<dialog id="confirm" aria-label="Confirm transfer"><p>Send £100?</p><button id="confirm-ok">Send</button></dialog>
<div id="pop" popover="manual" aria-label="Menu"><button id="pop-button">Menu item</button></div>
{{script}}</body></html>`;

/** Signs in on `origin` and opens `/app`, once the SDK shows the session active. */
export async function openSignedIn(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/signed-out`);
  const login = await page.evaluate(() => fetch('/login', { method: 'POST', body: '{"username":"dialog"}' }).then((r) => r.status));
  if (login !== 200) throw new Error(`sign-in answered ${login}`);
  await page.goto(`${origin}/app`);
  await page.waitForFunction(() => window.IdleLogout?.handle?.getPhase() === 'active');
  return page;
}

export const warningOf = (page: Page) => page.getByRole('alertdialog');
export const stayButton = (page: Page) => warningOf(page).getByRole('button', { name: 'Stay signed in' });

/** The text of the element focused inside the warning's shadow root, or null when focus is elsewhere. */
export const focusedInWarning = (page: Page) =>
  page.evaluate(() => document.querySelector('[data-idle-logout-dialog]')?.shadowRoot?.activeElement?.textContent ?? null);

/** The colour [r, g, b] drawn on screen at (x, y): what the user sees there, whatever hit-testing says. */
export async function pixelAt(page: Page, x: number, y: number): Promise<number[]> {
  const png = await page.screenshot({ clip: { x, y, width: 1, height: 1 } });
  // A 1×1 PNG: its IDAT chunks (Chromium writes more than one) inflate to one filter byte and the
  // pixel. Every PNG filter predicts the first pixel of the first row from zeros, so its bytes are
  // the colour as they are.
  const data: Buffer[] = [];
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at)) {
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') data.push(png.subarray(at + 8, at + 8 + png.readUInt32BE(at)));
  }
  const raw = inflateSync(Buffer.concat(data));
  return [...raw.subarray(1, 4)];
}

/** Whether "Stay signed in" is drawn on top where a finger would press it (its accent colour, #1d70b8). */
export async function stayIsOnTop(page: Page): Promise<boolean> {
  const box = (await stayButton(page).boundingBox())!;
  const [r, g, b] = await pixelAt(page, box.x + 10, box.y + box.height / 2);
  return Math.abs(r! - 0x1d) + Math.abs(g! - 0x70) + Math.abs(b! - 0xb8) < 30;
}
