// Tab-to-tab notifications and the keepalive leader. The channel is not the state — frozen and
// bfcached pages miss messages — it says "the shared record changed, read it again", and carries
// the patch that changed it, so a tab learns a sign-out at once even while its store read waits.
//
// Notifications go over the broadcast-channel package's BroadcastChannel: the native one where the
// browser has it, and its localStorage fallback where it does not (Safari < 15.4), so "stay signed
// in" closes the warning in every tab at once there too. Channels are made with
// `webWorkerSupport: false` (the package's documented option; we only run in windows): without a
// native channel it then uses localStorage's `storage` event instead of polling IndexedDB every
// 150 ms. The script-tag file keeps only the native channel (client/native-channel.ts stands in for
// the package there; vite.config.ts says why): where that is missing, `join` goes on without one.
//
// The leader is NOT the package's `createLeaderElection`: when a tab becomes leader it registers
// `beforeunload` and `unload` listeners through its `unload` dependency
// (broadcast-channel's dist/esbrowser/leader-election-util.js → the unload package's browser.js) and
// never removes them. An `unload` listener keeps a page out of the back/forward cache, and `stop()`
// could not remove them. Its Web Locks elector (the one modern browsers get) is a lock held until
// the tab goes away; that is all we need, so we take the lock ourselves:
// `navigator.locks.request(name, …)` held by a never-settling promise; the browser hands the lock
// to the next tab when the holder closes, crashes or is discarded.
// Where Web Locks are missing, nothing breaks: a tab that is not leader still sends an owed
// keepalive after LEADER_GRACE_MS; the atomic claim in IndexedDB keeps that to one for the origin.
import { BroadcastChannel as PackageBroadcastChannel } from 'broadcast-channel';
import type { SessionChange } from './core.ts';

export interface TabSyncHandlers {
  /** Another tab changed the shared record with `change` (undefined: a message this version does not read). */
  onNotify(change: SessionChange | undefined): void;
  /** This tab became the keepalive leader (true), or stopped being it (false). */
  onLeadership(isLeader: boolean): void;
}

export interface TabSync {
  /** Tells every other tab that `change` changed the shared record. */
  notify(change: SessionChange): void;
  /**
   * The page stops running tasks (Page Lifecycle `freeze`, the back/forward cache): leaves the
   * election, so another tab leads, and the channel, so no message wakes a frozen page into work
   * it cannot finish (an open channel or a held lock can also keep a page out of the cache).
   * Optional for a custom tab sync.
   */
  suspend?(): void;
  /** The page runs again: joins channel and election again. */
  resume?(): void;
  /** Leaves the election and closes the channel for good. */
  close(): void;
}

export type TabSyncFactory = (channelName: string, handlers: TabSyncHandlers) => TabSync;

/** What the tab sync needs of a channel: the package's BroadcastChannel (its `onmessage` gets the message itself, not an event). */
export interface NotifyChannel {
  onmessage: ((message: never) => void) | null;
  postMessage(message: SessionChange): Promise<unknown>;
  close(): unknown;
}
/** The second argument is the package's options; a native BroadcastChannel ignores it. */
export type NotifyChannelConstructor = new (name: string, options: { webWorkerSupport: false }) => NotifyChannel;

/** The parts of a window the default tab sync uses (a real `window` has them all). */
export interface TabSyncHost {
  navigator: { locks?: LockManager | null };
}

/**
 * The default tab sync for a window: the broadcast-channel package's channel plus a Web Locks leader.
 *
 * @example
 * const sync = browserTabSync(window)('idle-logout', { onNotify: reread, onLeadership: () => (isLeader = true) });
 * sync.notify({ kind: 'activity', at: Date.now() });
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
        try {
          channel = new Channel(channelName, { webWorkerSupport: false });
          // An older version of the SDK posts `1`: no patch, only "read again".
          channel.onmessage = (message: SessionChange | null) => handlers.onNotify(message?.kind ? message : undefined);
        } catch {
          // The script-tag file keeps only the native method (vite.config.ts), so the package
          // finds none where BroadcastChannel is missing: the tabs then learn changes from the
          // shared record when they wake (timer, focus, visibility, input).
          Channel = null;
        }
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

    join();
    return {
      notify(change) {
        // The package's postMessage answers with a promise that rejects once the channel is closed.
        channel?.postMessage(change).catch(() => {});
      },
      suspend: leave,
      resume() {
        if (!closed) join();
      },
      close() {
        closed = true;
        leave();
      },
    };
  };
}
