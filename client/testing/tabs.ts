// Several simulated tabs in one test, each with its own happy-dom window, sharing one clock, one
// channel hub, one shared store and the real server app (client/testing/server.ts).
import { Window } from 'happy-dom';
import type { IdleLogoutHost } from '../host.ts';
import { createIdleLogout, type IdleLogoutEvent, type IdleLogoutHandle, type IdleLogoutOptions, type SignedOutReason } from '../start.ts';
import { memorySharedStore, type SharedStore } from '../shared-state.ts';
import type { TabSyncFactory, TabSyncHandlers } from '../tab-sync.ts';
import { FakeClock, settle } from './clock.ts';
import { AppServer, PAGE_ORIGIN } from './server.ts';

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

const EVENTS: IdleLogoutEvent[] = ['warning', 'tick', 'stay', 'active', 'signed-out', 'keepalive', 'unreachable', 'reachable', 'error'];

export class SimTab {
  readonly window: Window;
  readonly document: Document;
  readonly handle: IdleLogoutHandle;
  readonly events: [IdleLogoutEvent, unknown][] = [];
  readonly navigations: string[] = [];
  readonly signedOut: SignedOutReason[] = [];
  constructor(env: SimOrigin, options: IdleLogoutOptions & IdleLogoutHost = {}) {
    this.window = new Window({ url: `${PAGE_ORIGIN}/page` });
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
    Object.defineProperty(this.document, 'hidden', { value: !visible, configurable: true }); // as a browser's does
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
  readonly server: AppServer;
  readonly tabs: SimTab[] = [];
  /** `serverOptions` are the server's (createIdleSession's): its schedule, its base path. */
  constructor(
    readonly store: SharedStore = memorySharedStore(),
    serverOptions: ConstructorParameters<typeof AppServer>[1] = {},
  ) {
    this.server = new AppServer(this.clock, serverOptions);
  }
  /** A new tab, once the server has signed the user in (at the clock's time when the origin was made). */
  async open(options: IdleLogoutOptions & IdleLogoutHost = {}): Promise<SimTab> {
    await this.server.ready;
    const tab = new SimTab(this, options);
    this.tabs.push(tab);
    await settle();
    return tab;
  }
  closeAll(): void {
    for (const tab of this.tabs) tab.close();
  }
}
