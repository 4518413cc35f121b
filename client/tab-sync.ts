// Tab-to-tab notifications and the keepalive leader. The channel carries no state — frozen and
// bfcached pages miss messages — it only says "the shared record changed, read it again".
//
// Why not the broadcast-channel package (its `createLeaderElection` is what we first used): when a
// tab becomes leader it registers `beforeunload` and `unload` listeners through its `unload`
// dependency (node_modules/unload/dist/es/browser.js) and never removes them. An `unload` listener
// keeps a page out of the back/forward cache, and `stop()` could not remove them. It also weighs
// 5.4 KB min+gzip, more than our whole core. Its Web Locks elector (the one modern browsers get) is a
// lock held until the tab goes away; that is all we need, so we use the platform directly:
// - leader: `navigator.locks.request(name, …)` held by a never-settling promise; the browser hands
//   the lock to the next tab when the holder closes, crashes or is discarded.
// - notifications: the native `BroadcastChannel`.
// Where either is missing (Safari < 15.4), nothing breaks: every tab still re-reads the shared
// record on its timer and on wake-ups, and a tab that is not leader still sends an owed keepalive
// after LEADER_GRACE_MS; the atomic claim in IndexedDB keeps that to one for the origin.

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

/** The parts of a window the default tab sync uses (a real `window` has them all). */
export interface TabSyncHost {
  BroadcastChannel?: typeof BroadcastChannel;
  navigator: { locks?: LockManager | null };
  addEventListener(type: 'pagehide' | 'pageshow', listener: (event: PageTransitionEvent) => void): void;
  removeEventListener(type: 'pagehide' | 'pageshow', listener: (event: PageTransitionEvent) => void): void;
}

/**
 * The default tab sync for a window: native BroadcastChannel plus a Web Locks leader. On `pagehide`
 * it lets go of both (an open channel or a held lock can keep a page out of the back/forward cache)
 * and takes them again on `pageshow`.
 *
 * @example
 * const sync = browserTabSync(window)('idle-logout', { onNotify: reread, onLeadership: () => (isLeader = true) });
 * sync.notify();
 */
export function browserTabSync(host: TabSyncHost): TabSyncFactory {
  return (channelName, handlers) => {
    let channel: BroadcastChannel | null = null;
    let leaving: AbortController | null = null;
    let releaseLock: (() => void) | null = null;
    let closed = false;

    const join = (): void => {
      const Channel = host.BroadcastChannel;
      if (Channel && !channel) {
        channel = new Channel(channelName);
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
        channel?.postMessage(1);
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
