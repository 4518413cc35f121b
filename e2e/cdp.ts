// A raw Chrome DevTools Protocol harness for what Playwright cannot do: real background tabs
// (Playwright keeps every page visible) and frozen tabs (`Page.setWebLifecycleState`). It launches
// Debian's Chromium itself with `--remote-debugging-pipe` and speaks CDP over fds 3 (to Chromium)
// and 4 (from it): one JSON message per NUL-terminated frame, no WebSocket package needed (Node 20
// has no global WebSocket). Protocol reference: https://chromedevtools.github.io/devtools-protocol/
//
//   const browser = await launchCdpBrowser();
//   const [a, b] = [await browser.newTab(url), await browser.newTab(url)];
//   await b.bringToFront();        // a is now hidden (document.visibilityState === 'hidden')
//   await a.freeze();              // Page Lifecycle `freeze`: a runs no tasks until a.resume()
//   await b.evaluate('document.title');
//   await browser.close();
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { chromiumPath } from './browser.ts';

type Params = Record<string, unknown>;
type Listener = (params: Params, sessionId: string | undefined) => void;

/** Waits up to `timeoutMs` for `check` to return something truthy, checking every `everyMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export class CdpBrowser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(result: Params): void; reject(error: Error): void; method: string }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private buffered = '';
  /** One browser context per harness: tabs share cookies, storage, BroadcastChannel and locks. */
  private contextId = '';
  private readonly toChromium: Writable;

  private constructor(
    private readonly process: ChildProcess,
    private readonly userDataDir: string,
  ) {
    const [, , , toChromium, fromChromium] = process.stdio as [unknown, unknown, unknown, Writable, Readable];
    this.toChromium = toChromium;
    fromChromium.setEncoding('utf8');
    fromChromium.on('data', (chunk: string) => this.receive(chunk));
    // A crashed or closed browser answers nothing more: fail what waits instead of hanging the test.
    process.once('exit', (code) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`${waiting.method}: Chromium exited (${code})`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<CdpBrowser> {
    const userDataDir = mkdtempSync(join(tmpdir(), 'idle-logout-cdp-'));
    const child = spawn(
      chromiumPath,
      [
        '--headless',
        '--remote-debugging-pipe',
        `--user-data-dir=${userDataDir}`,
        // The same as e2e/browser.ts: keep Chromium off Google's hosts on a closed network.
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    child.stderr?.resume(); // Chromium is chatty on stderr; never let the pipe fill up
    const browser = new CdpBrowser(child, userDataDir);
    const { browserContextId } = await browser.send('Target.createBrowserContext');
    browser.contextId = browserContextId as string;
    return browser;
  }

  /** Sends a command (to a tab when `sessionId` is given) and resolves with its result. */
  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.nextId++;
    this.toChromium.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
  }

  /** Calls `listener` for every event `method` (e.g. 'Network.requestWillBeSent'); returns the unsubscribe. */
  on(method: string, listener: Listener): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffered.slice(0, end)) as {
        id?: number;
        result?: Params;
        error?: { message: string };
        method?: string;
        params?: Params;
        sessionId?: string;
      };
      this.buffered = this.buffered.slice(end + 1);
      if (message.id !== undefined) {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) waiting?.reject(new Error(`${waiting.method}: ${message.error.message}`));
        else waiting?.resolve(message.result ?? {});
      } else if (message.method) {
        for (const listener of this.listeners.get(message.method) ?? []) listener(message.params ?? {}, message.sessionId);
      }
    }
  }

  /** Opens a real tab in this browser's context, attached, with Page, Runtime and Network enabled. */
  async newTab(url: string): Promise<CdpTab> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank', browserContextId: this.contextId });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const tab = new CdpTab(this, targetId as string, sessionId as string);
    await Promise.all(['Page.enable', 'Runtime.enable', 'Network.enable'].map((method) => tab.send(method)));
    await tab.goto(url);
    return tab;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    await this.send('Browser.close').catch(() => {});
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    rmSync(this.userDataDir, { recursive: true, force: true });
  }
}

export class CdpTab {
  /** Uncaught errors and console errors of the page (across navigations), to show when a test fails. */
  readonly errors: string[] = [];
  constructor(
    readonly browser: CdpBrowser,
    readonly targetId: string,
    readonly sessionId: string,
  ) {
    browser.on('Runtime.exceptionThrown', (params, id) => {
      if (id === sessionId) this.errors.push(JSON.stringify(params).slice(0, 500));
    });
    browser.on('Runtime.consoleAPICalled', (params, id) => {
      if (id === sessionId && (params as { type: string }).type === 'error') this.errors.push(JSON.stringify(params).slice(0, 500));
    });
  }

  send(method: string, params: Params = {}): Promise<Params> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const off = this.browser.on('Page.loadEventFired', (_params, sessionId) => {
        if (sessionId === this.sessionId) {
          off();
          resolve();
        }
      });
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting a promise it returns); returns its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { exception?: { description?: string }; text: string };
    };
    if (exceptionDetails) throw new Error(`in page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value as T;
  }

  /** Waits until `expression` is truthy in the page. */
  waitFor(expression: string, timeoutMs: number): Promise<unknown> {
    return waitFor(expression, () => this.evaluate(expression), timeoutMs);
  }

  /** Makes this the active tab; the others become hidden (`visibilitychange`), as a user switching tabs. */
  async bringToFront(): Promise<void> {
    await this.browser.send('Target.activateTarget', { targetId: this.targetId });
    await this.send('Page.bringToFront');
  }

  /** Page Lifecycle freeze (`freeze` event, then no tasks run) — as Energy Saver or Android do to background tabs. */
  freeze(): Promise<Params> {
    return this.send('Page.setWebLifecycleState', { state: 'frozen' });
  }

  /** Ends a freeze (`resume` event). */
  resume(): Promise<Params> {
    return this.send('Page.setWebLifecycleState', { state: 'active' });
  }

  /** A real key press (keydown, char, keyup) at the focused element. */
  async type(text: string): Promise<void> {
    for (const key of text) {
      await this.send('Input.dispatchKeyEvent', { type: 'keyDown', key, text: key });
      await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key });
    }
  }

  /** A real mouse click at (x, y) in CSS pixels. */
  async click(x: number, y: number): Promise<void> {
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', clickCount: 1 });
    }
  }

  /** Calls `listener` with the URL and method of every request this tab sends; returns the unsubscribe. */
  onRequest(listener: (request: { url: string; method: string }) => void): () => void {
    return this.browser.on('Network.requestWillBeSent', (params, sessionId) => {
      if (sessionId === this.sessionId) listener((params as { request: { url: string; method: string } }).request);
    });
  }

  async close(): Promise<void> {
    await this.browser.send('Target.closeTarget', { targetId: this.targetId });
  }
}

/** Records the SDK's events in the page as `window.__events`, once `IdleLogout.handle` exists. */
const WATCH_EVENTS = `new Promise((resolve) => {
  const watch = () => {
    const handle = window.IdleLogout && window.IdleLogout.handle;
    if (!handle) return setTimeout(watch, 20);
    window.__events = [];
    for (const type of ['active', 'warning', 'stay', 'signed-out', 'keepalive']) handle.on(type, () => window.__events.push(type));
    resolve(handle.getPhase());
  };
  watch();
})`;

/**
 * For e2e/app-server.ts: signs in (`POST /login`) and opens `count` tabs of `url`, one after the
 * other (so the first takes the leader lock), each active and recording the SDK's events in
 * `window.__events`. The last one opened is in front.
 *
 * @example
 * const [leader, other] = await signedInTabs(browser, `${app.origin}/app`, 2);
 */
export async function signedInTabs(browser: CdpBrowser, url: string, count: number): Promise<CdpTab[]> {
  const first = await browser.newTab(new URL('/signed-out', url).href);
  await first.evaluate(`fetch('/login', { method: 'POST', body: '{"username":"cdp"}' }).then((r) => r.status)`);
  const tabs = [first];
  for (let i = 1; i < count; i++) tabs.push(await browser.newTab('about:blank'));
  for (const tab of tabs) {
    await tab.goto(url);
    await tab.evaluate(WATCH_EVENTS);
    await tab.waitFor(`IdleLogout.handle.getPhase() === 'active'`, 5_000);
  }
  return tabs;
}

/**
 * Launches Chromium headless with a fresh profile, driven over CDP.
 *
 * @example
 * const browser = await launchCdpBrowser();
 * const tab = await browser.newTab('http://localhost:3000/app');
 * await tab.evaluate('document.visibilityState');
 */
export function launchCdpBrowser(): Promise<CdpBrowser> {
  return CdpBrowser.launch();
}
