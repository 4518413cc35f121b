// What the SDK takes from its host — the window, the clocks, the network, the storage, the tab
// channel, timers and navigation — apart from what an app configures (options.ts). An app passes
// none of these: each defaults to the browser's. Tests and unusual hosts pass their own.
import type { SessionChange, SessionRecord } from './core.ts';
import { idbSharedStore, memorySharedStore, type SharedStore } from './shared-state.ts';
import { browserTabSync, type TabSyncFactory } from './tab-sync.ts';
import { hostTimers, type Timers } from './timers.ts';
import { fetchTransport, type Transport } from './transport.ts';

/** The host's parts the SDK uses, each replaceable: for tests and unusual hosts. */
export interface IdleLogoutHost {
  window?: Window;
  /** Default `window.document`. */
  document?: Document;
  /** The wall clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Used by the default transport. Default `window.fetch`. */
  fetch?: typeof fetch;
  /** Speaks the protocol. Default: over `fetch`, to `endpoint`. */
  transport?: Transport;
  /** Holds the shared record. Default: IndexedDB, or memory where there is none. */
  storage?: SharedStore<SessionRecord, SessionChange>;
  /** Tab-to-tab notifications and the keepalive leader. Default: BroadcastChannel and Web Locks. */
  tabSync?: TabSyncFactory;
  timers?: Timers;
  /** How to go to the signed-out URL. Default `location.assign`. */
  navigate?: (url: string) => void;
}

/** The host with every part filled in, and the monotonic clock the core compares the wall clock with. */
export type ResolvedHost = Required<Omit<IdleLogoutHost, 'fetch'>> & { monoNow: () => number };

/**
 * Fills in the browser's parts. `endpoint`, `credentials` and `channelName` (app options) say where
 * the default transport and store point.
 *
 * @example
 * const host = resolveHost({ now: () => clock.now }, resolveOptions({}));
 */
export function resolveHost(host: IdleLogoutHost, app: { endpoint: string; credentials?: RequestCredentials; channelName: string }): ResolvedHost {
  const win = host.window ?? globalThis.window; // (undefined where there is none: no ReferenceError)
  if (!win) throw new TypeError('idle-logout: no window: call startIdleLogout() on the client, not during server-side rendering.');
  return {
    window: win,
    document: host.document ?? win.document,
    now: host.now ?? Date.now,
    // performance.now() lets the core notice the wall clock jumping; with an injected clock (tests)
    // there is nothing to compare with.
    monoNow: host.now ? () => NaN : () => performance.now(),
    transport: host.transport ?? fetchTransport(app.endpoint, host.fetch ?? win.fetch.bind(win), app.credentials),
    // IndexedDB can be missing (some embedded browsers): one tab then keeps its state in memory.
    storage: host.storage ?? (win.indexedDB ? idbSharedStore(app.channelName) : memorySharedStore()),
    tabSync: host.tabSync ?? browserTabSync(win),
    timers: host.timers ?? hostTimers,
    navigate: host.navigate ?? ((url) => win.location.assign(url)),
  };
}
