// `idle-logout/react` in real Chromium: e2e/react-page/index.html running the README's React example
// (docs/examples/react.tsx: StrictMode, the app's own <dialog> from useIdleLogout()), built here with
// Vite against the shipped dist/client/react.js and dist/client/index.js (run `npm run build`
// first), in two tabs of one browser context on the app server (real server, real clock, 8 s idle,
// 4 s warning).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build, type Plugin, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './app-server.ts';
import { AppSuite, signIn } from './app-suite.ts';
import { browserUnavailable } from './browser.ts';
import { assertBuilt } from './built.ts';

const IDLE_MS = 8_000;
const WARNING_MS = 4_000;

/** The example imports the source entry (for its types); the build takes the shipped file instead. */
const shippedReactEntry: Plugin = {
  name: 'shipped-react-entry',
  enforce: 'pre',
  resolveId: (source) => (source.endsWith('/client/react.ts') ? fileURLToPath(new URL('../dist/client/react.js', import.meta.url)) : null),
};

async function buildPage(): Promise<string> {
  await assertBuilt(['dist/client/react.js', 'dist/client/index.js']);
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    plugins: [shippedReactEntry],
    // As an app's production build, also under Vitest: Vite takes its NODE_ENV=test as development.
    mode: 'production',
    define: { 'process.env.NODE_ENV': '"production"' },
    oxc: { jsx: { runtime: 'automatic', development: false } },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: fileURLToPath(new URL('../docs/examples/react.tsx', import.meta.url)), formats: ['es'], fileName: () => 'react-page.js' },
    },
  })) as Rolldown.RolldownOutput[];
  const chunks = output.flatMap((o) => o.output).filter((c): c is Rolldown.OutputChunk => c.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`docs/examples/react.tsx: expected one chunk, got ${chunks.map((c) => c.fileName).join(', ')}`);
  return chunks[0]!.code;
}

const suite = new AppSuite();
let app: RunningApp;

async function openReactPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`${page.url()}: ${error.message}`));
  await page.goto(`${app.origin}/react`);
  await page.getByRole('heading', { name: 'My app' }).waitFor();
  return page;
}

const warningOf = (page: Page) => page.getByRole('dialog', { name: 'You will be signed out soon' });

describe.skipIf(browserUnavailable !== undefined)('idle-logout/react in Chromium', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    const [script, html] = await Promise.all([buildPage(), readFile(new URL('react-page/index.html', import.meta.url), 'utf8')]);
    app = await suite.app({
      idleTimeoutMs: IDLE_MS,
      warningMs: WARNING_MS,
      pages: { '/react': { html } },
      intercept: (c) => (c.req.path === '/react-page.js' ? c.body(script, 200, { 'Content-Type': 'text/javascript; charset=UTF-8' }) : undefined),
    });
    await suite.launch();
  }, 60_000);

  afterAll(() => suite.close());

  it('two tabs: the custom dialog warns in both; "stay" or Escape in one closes both; "sign out" in the other signs both out', async () => {
    const context = await suite.newContext();
    await signIn(await context.newPage(), app.origin, 'react-user');
    const tabs = await Promise.all([openReactPage(context), openReactPage(context)]);
    const [first, second] = tabs as [Page, Page];
    const bothWarn = () => Promise.all(tabs.map((tab) => warningOf(tab).waitFor({ timeout: IDLE_MS })));
    // Within a second of the other tab's choice (the keepalive, then the channel).
    const bothClose = () => Promise.all(tabs.map((tab) => warningOf(tab).waitFor({ state: 'hidden', timeout: 1_500 })));
    const serverRemainingMs = async () => ((await (await context.request.get(`${app.origin}/session`)).json()) as { remainingMs: number }).remainingMs;
    // The app's own dialog, not the built-in one.
    expect(await first.locator('[data-idle-logout-dialog]').count()).toBe(0);

    await bothWarn();
    const countdown = Number(await second.textContent('#countdown'));
    expect(countdown).toBeGreaterThanOrEqual(1);
    expect(countdown).toBeLessThanOrEqual(WARNING_MS / 1000);
    // showModal() moved focus into the dialog.
    expect(await first.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);

    await first.getByRole('button', { name: 'Stay signed in' }).click();
    await bothClose();
    expect(await serverRemainingMs()).toBeGreaterThan(IDLE_MS - WARNING_MS);

    await bothWarn();
    await second.keyboard.press('Escape');
    await bothClose();
    expect(await serverRemainingMs()).toBeGreaterThan(IDLE_MS - WARNING_MS);

    await bothWarn();
    await second.getByRole('button', { name: 'Sign out' }).click();
    await Promise.all(tabs.map((tab) => tab.waitForURL('**/signed-out?reason=user*', { timeout: 2_000 })));
    expect((await context.request.get(`${app.origin}/session`)).status()).toBe(401);
  });
});
