// What the browser suites on the app server (app-server.ts) share: one browser, the app servers and
// browser contexts a suite opens, all closed after it; signing in; waiting for the SDK to be live.
import type { Browser, BrowserContext, LaunchOptions, Page } from 'playwright-core';
import { startAppServer, type AppServerOptions, type RunningApp } from './app-server.ts';
import { launchBrowser } from './browser.ts';

export class AppSuite {
  browser!: Browser;
  private readonly apps: RunningApp[] = [];
  private readonly contexts: BrowserContext[] = [];

  /** Starts an app server that `close()` stops. */
  async app(options: AppServerOptions): Promise<RunningApp> {
    const app = await startAppServer(options);
    this.apps.push(app);
    return app;
  }

  /** Launches the browser; `options` as launchBrowser's (e.g. to turn on the back/forward cache). */
  async launch(options?: LaunchOptions): Promise<void> {
    this.browser = await launchBrowser(options);
  }

  async newContext(): Promise<BrowserContext> {
    const context = await this.browser.newContext();
    this.contexts.push(context);
    return context;
  }

  async close(): Promise<void> {
    await Promise.all(this.contexts.map((context) => context.close().catch(() => {})));
    await this.browser?.close();
    await Promise.all(this.apps.map((app) => app.stop()));
  }
}

/** Signs the page's context in (`POST /login` from a page of `origin` that needs no session). */
export async function signIn(page: Page, origin: string, username = 'user'): Promise<void> {
  if (!page.url().startsWith(origin)) await page.goto(`${origin}/signed-out`);
  await page.evaluate((name) => fetch('/login', { method: 'POST', body: JSON.stringify({ username: name }) }), username);
}

/** Opens `url` in the page and waits until the SDK shows the session live. */
export async function openLive(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => window.IdleLogout?.handle?.getPhase() === 'active');
}
