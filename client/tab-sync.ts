// Tab-to-tab notifications and the keepalive leader. The channel carries no state — frozen and
// bfcached pages miss messages — it only says "the shared record changed, read it again".
//
// Notifications go over the broadcast-channel package's BroadcastChannel: the native one where the
// browser has it, and its IndexedDB / localStorage fallbacks where it does not (Safari < 15.4), so
// "stay signed in" closes the warning in every tab at once there too. Channels are made with
// `webWorkerSupport: false` (the package's documented option; we only run in windows): without a
// native channel it then uses localStorage's `storage` event instead of polling IndexedDB every
// 150 ms. The IndexedDB method is then unreachable, and the script-tag build drops it (vite.config.ts).
//
// The leader is NOT the package's `createLeaderElection`: when a tab becomes leader it registers
// `beforeunload` and `unload` listeners through its `unload` dependency
// (node_modules/broadcast-channel/dist/esbrowser/leader-election-util.js → unload/browser.js) and
// never removes them. An `unload` listener keeps a page out of the back/forward cache, and `stop()`
// could not remove them. Its Web Locks elector (the one modern browsers get) is a lock held until
// the tab goes away; that is all we need, so we take the lock ourselves:
// `navigator.locks.request(name, …)` held by a never-settling promise; the browser hands the lock
// to the next tab when the holder closes, crashes or is discarded.
// Where Web Locks are missing, nothing breaks: a tab that is not leader still sends an owed
// keepalive after LEADER_GRACE_MS; the atomic claim in IndexedDB keeps that to one for the origin.
import { BroadcastChannel as PackageBroadcastChannel } from 'broadcast-channel';

export interface TabSyncHandlers {
  /** Another tab changed the shared record. */
  onNotify(): void;
  /** This tab became the keepalive leader (true), or stopped being it (false). */
  onLeadership(isLeader: boolean): void;
}

export interface TabSync {
  /** Tells every other tab to re-read the shared record. */
  notify(): void;
  /** Leaves the election and closes the channel. */
  close(): void;
}

export type TabSyncFactory = (channelName: string, handlers: TabSyncHandlers) => TabSync;

/** What the tab sync needs of a channel: the package's BroadcastChannel and the native one both fit. */
export interface NotifyChannel {
  onmessage: ((message: never) => void) | null;
  postMessage(message: number): unknown;
  close(): unknown;
}
/** The second argument is the package's options; a native BroadcastChannel ignores it. */
export type NotifyChannelConstructor = new (name: string, options: { webWorkerSupport: false }) => NotifyChannel;

/** The parts of a window the default tab sync uses (a real `window` has them all). */
export interface TabSyncHost {
  navigator: { locks?: LockManager | null };
  addEventListener(type: 'pagehide' | 'pageshow', listener: (event: PageTransitionEvent) => void): void;
  removeEventListener(type: 'pagehide' | 'pageshow', listener: (event: PageTransitionEvent) => void): void;
}

/**
 * The default tab sync for a window: the broadcast-channel package's channel plus a Web Locks leader. On `pagehide`
 * it lets go of both (an open channel or a held lock can keep a page out of the back/forward cache)
 * and takes them again on `pageshow`.
 *
 * @example
 * const sync = browserTabSync(window)('idle-logout', { onNotify: reread, onLeadership: () => (isLeader = true) });
 * sync.notify();
 */
export function browserTabSync(
  host: TabSyncHost,
  Channel: NotifyChannelConstructor | null = PackageBroadcastChannel as unknown as NotifyChannelConstructor,
): TabSyncFactory {
  return (channelName, handlers) => {
    let channel: NotifyChannel | null = null;
    let leaving: AbortController | null = null;
    let releaseLock: (() => void) | null = null;
    let closed = false;

    const join = (): void => {
      if (Channel && !channel) {
        channel = new Channel(channelName, { webWorkerSupport: false });
        channel.onmessage = () => handlers.onNotify();
      }
      const locks = host.navigator.locks;
      if (locks && !leaving) {
        const controller = (leaving = new AbortController());
        locks
          .request(`${channelName}:leader`, { signal: controller.signal }, () => {
            if (controller.signal.aborted) return undefined;
            handlers.onLeadership(true);
            return new Promise<void>((resolve) => (releaseLock = resolve));
          })
          .catch(() => {}); // aborted while waiting: we left the election
      }
    };
    const leave = (): void => {
      channel?.close();
      channel = null;
      leaving?.abort();
      leaving = null;
      if (releaseLock) {
        releaseLock();
        releaseLock = null;
        if (!closed) handlers.onLeadership(false);
      }
    };
    const onPageHide = (event: PageTransitionEvent): void => {
      if (event.persisted) leave();
    };
    const onPageShow = (event: PageTransitionEvent): void => {
      if (event.persisted && !closed) join();
    };

    join();
    host.addEventListener('pagehide', onPageHide);
    host.addEventListener('pageshow', onPageShow);
    return {
      notify() {
        // The package's postMessage answers with a promise that rejects once the channel is closed.
        Promise.resolve(channel?.postMessage(1)).catch(() => {});
      },
      close() {
        if (closed) return;
        closed = true;
        leave();
        host.removeEventListener('pagehide', onPageHide);
        host.removeEventListener('pageshow', onPageShow);
      },
    };
  };
}
