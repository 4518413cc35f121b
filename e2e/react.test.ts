// `idle-logout/react` in real Chromium: the React page of e2e/react-page/ (StrictMode, the app's own
// dialog from useIdleLogout()), built here with Vite against the shipped dist/client/react.js and
// dist/client/index.js (run `npm run build` first), in two tabs of one browser context on the app
// server (real server, real clock, 8 s idle, 4 s warning).
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build, type Plugin, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';

const IDLE_MS = 8_000;
const WARNING_MS = 4_000;
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>React app</title>
<script type="module" src="/react-page.js"></script></head><body><div id="root"></div></body></html>`;

/** The page imports the source entry (for its types); the build takes the shipped file instead. */
const shippedReactEntry: Plugin = {
  name: 'shipped-react-entry',
  enforce: 'pre',
  resolveId: (source) => (source.endsWith('/client/react.ts') ? fileURLToPath(new URL('../dist/client/react.js', import.meta.url)) : null),
};

async function buildPage(): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    plugins: [shippedReactEntry],
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: fileURLToPath(new URL('react-page/main.ts', import.meta.url)), formats: ['es'], fileName: () => 'react-page.js' },
    },
  })) as Rolldown.RolldownOutput[];
  const chunks = output.flatMap((o) => o.output).filter((c): c is Rolldown.OutputChunk => c.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`e2e/react-page: expected one chunk, got ${chunks.map((c) => c.fileName).join(', ')}`);
  return chunks[0]!.code;
}

const suite = new AppSuite();
let app: RunningApp;

async function openReactPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${app.origin}/react`);
  await expect.poll(() => page.textContent('#phase'), { timeout: 3_000 }).toBe('active');
  return page;
}

const warningOf = (page: Page) => page.getByRole('dialog', { name: 'You will be signed out soon' });

describe.skipIf(browserUnavailable !== undefined)('idle-logout/react in Chromium', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    const script = await buildPage();
    app = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/react': { html: PAGE } },
      intercept: (c) => (c.req.path === '/react-page.js' ? c.body(script, 200, { 'Content-Type': 'text/javascript; charset=UTF-8' }) : undefined),
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('two tabs: the custom dialog warns in both, "stay" in one closes both, "sign out" in the other signs both out', async () => {
    const context = await suite.newContext();
    await signIn(await context.newPage(), app.origin, 'react-user');
    const [first, second] = await Promise.all([openReactPage(context), openReactPage(context)]);
    // The app's own dialog, not the built-in one.
    expect(await first.locator('[data-idle-logout-dialog]').count()).toBe(0);

    await Promise.all([warningOf(first).waitFor({ timeout: IDLE_MS }), warningOf(second).waitFor({ timeout: IDLE_MS })]);
    const countdown = Number(await second.textContent('#countdown'));
    expect(countdown).toBeGreaterThanOrEqual(1);
    expect(countdown).toBeLessThanOrEqual(WARNING_MS / 1000);

    await first.getByRole('button', { name: 'Stay signed in' }).click();
    await Promise.all([warningOf(first).waitFor({ state: 'hidden', timeout: 1_500 }), warningOf(second).waitFor({ state: 'hidden', timeout: 1_500 })]);
    expect([await first.textContent('#phase'), await second.textContent('#phase')]).toEqual(['active', 'active']);

    await Promise.all([warningOf(first).waitFor({ timeout: IDLE_MS }), warningOf(second).waitFor({ timeout: IDLE_MS })]);
    await second.getByRole('button', { name: 'Sign out' }).click();
    await Promise.all([first, second].map((tab) => tab.waitForURL('**/signed-out?reason=user*', { timeout: 2_000 })));
    expect((await context.request.get(`${app.origin}/session`)).status()).toBe(401);
  });
});
