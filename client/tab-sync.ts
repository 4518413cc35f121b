// Tab-to-tab notifications and the keepalive leader. The channel carries no state — frozen and
// bfcached pages miss messages — it only says "the shared record changed, read it again".
import { BroadcastChannel, createLeaderElection } from 'broadcast-channel';

export interface TabSyncHandlers {
  /** Another tab changed the shared record. */
  onNotify(): void;
  /** This tab became the keepalive leader (broadcast-channel uses Web Locks where available). */
  onLeadership(): void;
}

export interface TabSync {
  /** Tells every other tab to re-read the shared record. */
  notify(): void;
  /** Leaves the election and closes the channel. */
  close(): void;
}

export type TabSyncFactory = (channelName: string, handlers: TabSyncHandlers) => TabSync;

/**
 * The default tab sync: broadcast-channel's `BroadcastChannel` and `createLeaderElection`.
 *
 * @example
 * const sync = broadcastTabSync('idle-logout', { onNotify: reread, onLeadership: () => (isLeader = true) });
 * sync.notify();
 */
export const broadcastTabSync: TabSyncFactory = (channelName, handlers) => {
  const channel = new BroadcastChannel<1>(channelName);
  let closed = false;
  channel.onmessage = () => {
    if (!closed) handlers.onNotify();
  };
  const elector = createLeaderElection(channel);
  elector.awaitLeadership().then(
    () => {
      if (!closed) handlers.onLeadership();
    },
    () => {}, // no leader here: other tabs, or the non-leader fallback in the core, cover for it
  );
  return {
    notify() {
      if (!closed) channel.postMessage(1).catch(() => {});
    },
    close() {
      if (closed) return;
      closed = true;
      // die() releases the lock so another tab is elected at once; close() after it.
      elector.die().finally(() => channel.close()).catch(() => {});
    },
  };
};
