// Withdraws Redis commands that are still queued in node-redis (not yet written to the socket)
// once the store's time bound has passed, with one AbortSignal per short window of commands.
//
// Why not node-redis's own `timeout` command option: it makes an `AbortSignal.timeout()` for every
// command, and those signals (a timer, a DOMException, a listener, and the garbage they leave) were
// the largest cost of a Redis-backed request in our own code's share: about 12 µs of 118 µs of
// server CPU per request, plus most of the garbage collector's 12 µs (`npm run bench:profile --
// keepalive-redis get`). node-redis v6 sets a 5 s `timeout` on every client by default, so the
// store turns it off for its own commands and withdraws them this way instead.
//
// The signal only matters while commands wait in the offline queue (Redis away and the client's
// offline queue left on): node-redis removes a command's listener as it writes the command, so a
// written command is never withdrawn (Redis refuses a late script by itself, redis-store.ts).
// Even one shared signal is not free: node-redis adds and removes an EventTarget listener on it for
// every command, 4–6 µs of CPU each (HMGET on loopback in batches of 32: 4.5–4.9 µs of CPU a call
// without a signal, 8.9–10.8 with one). So the store gives none to a client that fails its
// commands at once while Redis is away (`disableOfflineQueue`): it never queues them offline; and
// a queueing single-node client gets it only while it is not ready (redis-store.ts adoptTimeLimit).
import { setMaxListeners } from 'node:events';

/** How long one window gathers commands under one signal. */
export const WITHDRAWAL_WINDOW_MS = 10;

// What every window's signal aborts with. `abort()` without a reason makes a DOMException, stack
// trace included, for each window, 100 a second under load, though node-redis rejects a withdrawn
// command with its own AbortError and never reads the reason: 0.4 µs of server CPU per request in
// `npm run bench:profile -- keepalive-redis background`.
const WITHDRAWN = Object.freeze(new Error('idle-logout: the Redis command was queued past the store time bound'));

/**
 * `current()` is the value `forSignal` made for this window's signal; the signal aborts
 * `limitMs + WITHDRAWAL_WINDOW_MS` after the window opened, so a command is withdrawn no sooner
 * than `limitMs` after it was given, and no later than one window after that.
 *
 * @example
 * const commands = createWithdrawal(2_000, (abortSignal) => client.withCommandOptions({ timeout: 0, abortSignal }));
 * await commands.current().hmGet(key, fields);
 */
export function createWithdrawal<T>(limitMs: number, forSignal: (signal: AbortSignal) => T, now: () => number = Date.now): { current(): T } {
  let closesAt = -Infinity;
  let value: T;
  return {
    current() {
      const at = now();
      if (at >= closesAt) {
        const controller = new AbortController();
        // One listener per queued command: more than EventTarget's default warning threshold (10)
        // while Redis is away, and none of them a leak (each is removed as its command is written).
        setMaxListeners(0, controller.signal);
        const timer = setTimeout(() => controller.abort(WITHDRAWN), limitMs + WITHDRAWAL_WINDOW_MS);
        // Do not keep a Node process alive for it.
        (timer as { unref?: () => void }).unref?.();
        closesAt = at + WITHDRAWAL_WINDOW_MS;
        value = forSignal(controller.signal);
      }
      return value;
    },
  };
}
