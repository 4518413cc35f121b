// Test helpers (not part of the package): several simulated tabs in one test, each with its own
// happy-dom window, sharing one clock, one channel hub, one store and one fake protocol server.
import { Window } from 'happy-dom';
import type { IdleLogoutHost } from './host.ts';
import { createIdleLogout, type IdleLogoutEvent, type IdleLogoutHandle, type IdleLogoutOptions, type SignedOutReason } from './start.ts';
import type { Patch } from './core.ts';
import { memorySharedStore, type SharedStore } from './shared-state.ts';
import type { TabSyncFactory, TabSyncHandlers } from './tab-sync.ts';
import type { Timers } from './timers.ts';

export const T0 = 1_700_000_000_000;

/** Lets promise chains (storage, fetch, channel) run; real waiting is at most a few ms. */
export async function settle(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** One clock for every tab and the server; timers fire in time order as it advances. */
export class FakeClock implements Timers {
  now = T0;
  /** How many timers have fired so far. */
  fired = 0;
  private nextId = 1;
  readonly pending = new Map<number, { at: number; callback: () => void }>();
  setTimeout = (callback: () => void, delayMs: number): number => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + Math.max(0, delayMs), callback });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.pending.delete(id as number);
  };
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      this.fired++;
      next[1].callback();
    }
    this.now = end;
    await settle();
  }
  /** The machine sleeps: the clock jumps and no timer runs (they fire late, on wake). */
  sleep(ms: number): void {
    this.now += ms;
  }
}

/**
 * An in-memory BroadcastChannel + leader election: the first tab leads; when it leaves, the next
 * does. Like the real channel, a tab that closed or is suspended sends and hears nothing.
 */
export class ChannelHub {
  readonly endpoints: { handlers: TabSyncHandlers }[] = [];
  opened = 0;
  closed = 0;
  factory: TabSyncFactory = (_name, handlers) => {
    const endpoint = { handlers };
    const join = (): void => {
      if (this.endpoints.includes(endpoint)) return;
      this.endpoints.push(endpoint);
      if (this.endpoints.length === 1) queueMicrotask(() => handlers.onLeadership(true));
    };
    const leave = (): void => {
      const index = this.endpoints.indexOf(endpoint);
      if (index < 0) return;
      this.endpoints.splice(index, 1);
      const next = this.endpoints[0];
      if (index === 0 && next) queueMicrotask(() => next.handlers.onLeadership(true));
    };
    join();
    this.opened++;
    let isClosed = false;
    return {
      notify: (patch) => {
        if (!this.endpoints.includes(endpoint)) return;
        for (const other of this.endpoints) if (other !== endpoint) queueMicrotask(() => other.handlers.onNotify(patch));
      },
      suspend: () => {
        if (this.endpoints[0] === endpoint) queueMicrotask(() => handlers.onLeadership(false));
        leave();
      },
      resume: () => {
        if (!isClosed) join();
      },
      close: () => {
        if (isClosed) return;
        isClosed = true;
        this.closed++;
        leave();
      },
    };
  };
}

/**
 * A shared store that hangs while `hanging` (as IndexedDB does behind a transaction a frozen tab
 * holds): calls wait until `release()`, which answers them in order; `inner` is what it holds.
 */
export function hangingStore(inner: SharedStore = memorySharedStore()) {
  const held: (() => void)[] = [];
  const later = <T>(call: () => Promise<T>): Promise<T> =>
    store.hanging ? new Promise((resolve, reject) => held.push(() => call().then(resolve, reject))) : call();
  const store = {
    hanging: false,
    inner,
    read: () => later(() => inner.read()),
    write: (patch: Patch) => later(() => inner.write(patch)),
    release() {
      store.hanging = false;
      for (const answer of held.splice(0)) answer();
    },
  };
  return store;
}

type Mode = 'up' | 'down' | '503' | '403';

/** The wire protocol of docs/protocol.md, in memory, on the shared clock. */
export class FakeServer {
  deadlineAt: number;
  absoluteDeadlineAt: number;
  signedOut = false;
  mode: Mode = 'up';
  readonly calls: { method: string; path: string; body: unknown; init: RequestInit }[] = [];
  constructor(
    readonly clock: FakeClock,
    readonly idleTimeoutMs = 300_000,
    readonly warningMs = 60_000,
    absoluteTimeoutMs = 12 * 3_600_000,
  ) {
    this.deadlineAt = clock.now + idleTimeoutMs;
    this.absoluteDeadlineAt = clock.now + absoluteTimeoutMs;
  }
  count(path: string): number {
    return this.calls.filter((c) => c.path === path).length;
  }
  live(): boolean {
    return !this.signedOut && this.clock.now < Math.min(this.deadlineAt, this.absoluteDeadlineAt);
  }
  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'https://app.test/');
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    this.calls.push({ method: init.method ?? 'GET', path: url.pathname, body, init });
    await Promise.resolve();
    if (this.mode === 'down') throw new TypeError('Failed to fetch');
    const json = (status: number, value: unknown): Response =>
      new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json; charset=UTF-8' } });
    if (this.mode === '503') return json(503, { state: 'unavailable', error: 'store-unavailable', message: 'down' });
    // As the server answers a request from an origin it does not allow (docs/protocol.md, CSRF).
    if (this.mode === '403') return json(403, { error: 'csrf', message: 'Cross-site request refused.' });
    const now = this.clock.now;
    if (url.pathname === '/session/logout') {
      this.signedOut = true;
      return json(200, { state: 'signed-out' });
    }
    if (!this.live()) return json(401, { state: 'signed-out', error: 'unknown-session', message: 'expired' });
    if (url.pathname === '/session/keepalive') {
      const idleMs = Math.floor((body as { idleMs?: number } | undefined)?.idleMs ?? 0);
      const proposed = Math.min(now - idleMs + this.idleTimeoutMs, now + this.idleTimeoutMs);
      this.deadlineAt = Math.min(Math.max(this.deadlineAt, proposed), this.absoluteDeadlineAt);
    }
    return json(200, {
      state: 'active',
      remainingMs: Math.min(this.deadlineAt, this.absoluteDeadlineAt) - now,
      idleTimeoutMs: this.idleTimeoutMs,
      warningMs: this.warningMs,
      absoluteRemainingMs: this.absoluteDeadlineAt - now,
    });
  };
}

const EVENTS: IdleLogoutEvent[] = ['warning', 'tick', 'stay', 'active', 'signed-out', 'keepalive', 'unreachable', 'reachable', 'error'];

export class SimTab {
  readonly window: Window;
  readonly document: Document;
  readonly handle: IdleLogoutHandle;
  readonly events: [IdleLogoutEvent, unknown][] = [];
  readonly navigations: string[] = [];
  readonly signedOut: SignedOutReason[] = [];
  constructor(env: SimOrigin, options: IdleLogoutOptions & IdleLogoutHost = {}) {
    this.window = new Window({ url: 'https://app.test/page' });
    this.document = this.window.document as unknown as Document;
    this.document.title = 'App';
    const optionsAndHost: IdleLogoutOptions & IdleLogoutHost = {
      window: this.window as unknown as globalThis.Window,
      document: this.document,
      now: () => env.clock.now,
      fetch: env.server.fetch as typeof fetch,
      storage: env.store,
      tabSync: env.hub.factory,
      timers: env.clock,
      navigate: (url) => this.navigations.push(url),
      onSignedOut: (reason) => this.signedOut.push(reason),
      ...options,
    };
    this.handle = createIdleLogout(optionsAndHost, optionsAndHost);
    for (const name of EVENTS) this.handle.on(name, (detail) => this.events.push([name, detail]));
  }
  named(name: IdleLogoutEvent): unknown[] {
    return this.events.filter(([n]) => n === name).map(([, d]) => d);
  }
  dialogOpen(): boolean {
    return !!this.document.querySelector('[data-idle-logout-dialog]') && !!this.dialogRoot()?.querySelector('[role="alertdialog"],[role="dialog"]');
  }
  dialogRoot(): ShadowRoot | null {
    return this.document.querySelector('[data-idle-logout-dialog]')?.shadowRoot ?? null;
  }
  /** Real input: a pointer move on the page. */
  input(type = 'pointermove'): void {
    this.document.body.dispatchEvent(new this.window.Event(type, { bubbles: true }) as unknown as Event);
  }
  setVisible(visible: boolean): void {
    Object.defineProperty(this.document, 'visibilityState', { value: visible ? 'visible' : 'hidden', configurable: true });
    this.document.dispatchEvent(new this.window.Event('visibilitychange') as unknown as Event);
  }
  close(): void {
    this.handle.stop();
    void this.window.happyDOM.abort();
  }
}

export class SimOrigin {
  readonly clock = new FakeClock();
  readonly hub = new ChannelHub();
  readonly server: FakeServer;
  readonly tabs: SimTab[] = [];
  constructor(
    readonly store: SharedStore = memorySharedStore(),
    server?: (clock: FakeClock) => FakeServer,
  ) {
    this.server = server ? server(this.clock) : new FakeServer(this.clock);
  }
  async open(options: IdleLogoutOptions & IdleLogoutHost = {}): Promise<SimTab> {
    const tab = new SimTab(this, options);
    this.tabs.push(tab);
    await settle();
    return tab;
  }
  closeAll(): void {
    for (const tab of this.tabs) tab.close();
  }
}
