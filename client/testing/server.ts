// The server the simulated tabs talk to: the real server app (server/testing/app.ts, the real
// createIdleSession) on the tabs' clock, reached through `fetch` as a browser would reach it — one
// cookie jar for the origin, `Origin` and `Sec-Fetch-Site` set by the browser, not by the page —
// with a fault switch for what goes wrong on the way. Not a second statement of the protocol: the
// answers, the deadline rule and the error bodies are the server's own.
import { LOGOUT_PATH, STATUS_PATH, type StatusBody } from '../../protocol/index.ts';
import { MemorySessionStore } from '../../server/memory-store.ts';
import type { IdleSessionOptions } from '../../server/options.ts';
import { createTestApp, type TestApp } from '../../server/testing/app.ts';
import { switchableStore } from '../../server/testing/faults.ts';
import type { FakeClock } from './clock.ts';

/** The origin of every simulated tab's page. */
export const PAGE_ORIGIN = 'https://app.test';

/**
 * What goes wrong: `down` — the request never arrives (fetch rejects, as offline); `503` — the
 * server's session store fails, so the server answers 503 itself; `403` — the browser marks the
 * requests cross-site (the page is not one the server allows), so the server refuses the POSTs.
 */
export type Fault = 'none' | 'down' | '503' | '403';

/** A request as the page made it (`init` as given to fetch), answered or not. */
export interface SentRequest {
  /** The clock's time when the page sent it. */
  at: number;
  method: string;
  /** The URL as sent, resolved against the page. */
  url: string;
  /** The URL's path, e.g. `/session/keepalive`. */
  path: string;
  body: unknown;
  init: RequestInit;
  /** The server's answer once it came; 0 for a network error; undefined while on the way. */
  status?: number;
}

/** `Sec-Fetch-Site` as a browser computes it for a request from PAGE_ORIGIN (two-label sites, as `app.test`). */
function fetchSite(url: URL): 'same-origin' | 'same-site' | 'cross-site' {
  if (url.origin === PAGE_ORIGIN) return 'same-origin';
  const site = (host: string) => host.split('.').slice(-2).join('.');
  return url.protocol === 'https:' && site(url.hostname) === site(new URL(PAGE_ORIGIN).hostname) ? 'same-site' : 'cross-site';
}

/**
 * @example
 * const server = new AppServer(clock, { idleTimeoutMs: 120_000 });
 * const tab = createIdleLogout({ fetch: server.fetch, now: () => clock.now, … });
 * server.fault = 'down';
 * expect(server.count('/session/keepalive')).toBe(1);
 */
export class AppServer {
  readonly calls: SentRequest[] = [];
  /** How long a request is on the way (on the clock) before the server handles it: a slow or stalled link. */
  latencyMs = 0;
  /** The server's test harness (server/testing/app.ts): its `idle`, `app`, `store`. */
  readonly harness: TestApp;
  /** The sign-in at construction ('alice', at the clock's time then); every fetch waits for it. */
  readonly ready: Promise<void>;
  /** The origin's cookie jar: the session cookie as the app last set it. */
  private cookie: string | undefined;
  private readonly store = switchableStore(new MemorySessionStore());

  private currentFault: Fault = 'none';

  /** `options` are the server's (createIdleSession's), without its store and clock: those are the harness's. */
  constructor(
    readonly clock: FakeClock,
    options: Omit<IdleSessionOptions, 'store' | 'now'> = {},
  ) {
    this.harness = createTestApp({ clock: { now: () => clock.now, advance: (ms) => clock.sleep(ms) }, ...options, store: this.store.store });
    this.ready = this.harness.signIn('alice', undefined, PAGE_ORIGIN).then(({ cookie }) => void (this.cookie = cookie));
  }

  get fault(): Fault {
    return this.currentFault;
  }
  set fault(fault: Fault) {
    this.currentFault = fault;
    this.store.set(fault === '503' ? 'throw' : 'ok');
  }

  count(path: string): number {
    return this.calls.filter((call) => call.path === path).length;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), `${PAGE_ORIGIN}/page`);
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const sent: SentRequest = { at: this.clock.now, method, url: url.href, path: url.pathname, body, init };
    this.calls.push(sent);
    await this.ready;
    if (this.latencyMs > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.latencyMs));
    if (this.fault === 'down') {
      sent.status = 0;
      throw new TypeError('Failed to fetch');
    }
    const site = this.fault === '403' ? 'cross-site' : fetchSite(url);
    const headers = new Headers(init.headers);
    headers.set('Sec-Fetch-Site', site);
    if (method !== 'GET' || site !== 'same-origin') headers.set('Origin', PAGE_ORIGIN);
    const credentials = init.credentials ?? 'same-origin';
    if (this.cookie && (credentials === 'include' || (credentials === 'same-origin' && site === 'same-origin'))) headers.set('Cookie', this.cookie);
    const response = await this.harness.app.request(url.href, { method, headers, body: init.body ?? null });
    this.keepCookie(response);
    sent.status = response.status;
    return response;
  };

  /** The session's deadline (the earlier of idle and absolute), or undefined once it has ended. */
  async deadlineAt(): Promise<number | undefined> {
    const response = await this.besideTheTabs('GET', STATUS_PATH);
    if (response.status !== 200) return undefined;
    return this.clock.now + ((await response.json()) as StatusBody).remainingMs;
  }

  /** Ends the session without the tabs: as a sign-out from another device does (their next request gets 401). */
  async endSession(): Promise<void> {
    await this.besideTheTabs('POST', LOGOUT_PATH);
  }

  /** Ends the session as the site does from elsewhere (`endSessions`): reason `session-revoked`. */
  async revokeSession(): Promise<void> {
    await this.ready;
    await this.harness.idle.endSessions('alice');
  }

  /** A request with the origin's cookie that the tabs did not make (not in `calls`, no fault, the jar unchanged). */
  private async besideTheTabs(method: 'GET' | 'POST', path: string): Promise<Response> {
    await this.ready;
    return this.harness.send(method, this.harness.idle.basePath + path, this.cookie ? { cookie: this.cookie } : {}, PAGE_ORIGIN);
  }

  /** What a browser does with Set-Cookie: a new value replaces the jar's, an expired one empties it. */
  private keepCookie(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      this.cookie = /max-age=0|expires=thu, 01 jan 1970/i.test(line) || pair.endsWith('=') ? undefined : pair;
    }
  }
}
