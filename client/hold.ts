// Holds: `const release = idle.hold('upload')` keeps the session alive while an upload, a video
// call or a kiosk runs without input. A hold counts as continuous input for the whole origin (as
// input in any tab does), so the leader sends keepalives for it as for typing; the absolute
// lifetime still ends the session (a keepalive cannot pass it), and the warning then still shows.
//
// A hold is a LEASE in the shared record (`holds[tab] = { reason, until }`), not a flag: a tab
// that closes, is frozen (Page Lifecycle), sits in the back/forward cache or is discarded runs no
// code, so it cannot be trusted to say "released". Its lease simply runs out: a hold counts as
// input at every moment until `until`, and a lapsed one as input at `until` — so a dead tab keeps
// the session at most HOLD_LEASE_MS past its last renewal, and the idle timeout counts from there.
// A live tab renews every HOLD_RENEW_MS. Releasing sets `until` to the moment of release: the
// idle timeout then counts from the release, as from the last input.
import type { Timers } from './timers.ts';

/** One tab's lease. `until`: epoch ms the hold counts to (the release time once released). */
export interface HoldLease {
  reason: string;
  until: number;
}

/** The leases in the shared record, by tab. */
export type Holds = Record<string, HoldLease>;

/** A tab takes, renews or (with `until` = now) releases its hold. */
export interface HoldPatch {
  kind: 'hold';
  tab: string;
  reason: string;
  until: number;
}

/**
 * How often a holding tab renews its lease, and how long a lease lasts. Chrome runs the timers of
 * a tab hidden for more than 5 minutes at most once a minute, on minute boundaries (intensive
 * throttling, Chrome 88), so a 30 s renewal may come up to ~60 s late; a 3-minute lease still
 * holds through two missed renewals. That is also the bound on a dead tab: its hold ends at most
 * 3 minutes after it stopped running.
 */
export const HOLD_RENEW_MS = 30_000;
export const HOLD_LEASE_MS = 180_000;

/**
 * The hold rule, as the core applies it at `now`: `inputAt`, the latest input the holds stand for
 * (now while a lease is live, else the end of the latest lapsed or released one; 0 without
 * holds); `live`, whether some lease is live; `renewedAt`, when the latest lease was taken or
 * renewed (meaningful while live).
 *
 * @example
 * const { inputAt, live } = holdAt(record.holds, Date.now());
 */
export function holdAt(holds: Holds | undefined, now: number): { inputAt: number; live: boolean; renewedAt: number } {
  let until = 0;
  for (const tab in holds) until = Math.max(until, holds[tab]!.until);
  return { inputAt: Math.min(now, until), live: until > now, renewedAt: until - HOLD_LEASE_MS };
}

/**
 * The leases after `patch`. Leases that ended before `coveredUntil` (the time the session's
 * deadline already counts input to) are dropped: they can change nothing, and each page load has
 * its own tab id, so they would pile up.
 */
export function applyHold(holds: Holds | undefined, patch: HoldPatch, coveredUntil: number): Holds {
  const next: Holds = {};
  for (const tab in holds) if (holds[tab]!.until > coveredUntil) next[tab] = holds[tab]!;
  next[patch.tab] = { reason: patch.reason, until: patch.until };
  return next;
}

export interface HoldKeeper {
  /** Takes a hold; returns its release (idempotent). */
  hold(reason?: string): () => void;
  /** The page stops running (freeze, back/forward cache): stop renewing; the lease runs out by itself. */
  suspend(): void;
  /** The page runs again: renew at once if still held. */
  resume(): void;
  /** The page goes away for good (pagehide, not into the cache): release now if it still can. */
  leave(): void;
  /** The SDK stopped or signed out: no more writes. */
  stop(): void;
}

/**
 * This tab's holds and the renewal of its lease (one entry per tab, whatever the number of holds):
 * the shell around the rule above. `write` applies a patch to the shared record and tells the
 * other tabs, as every core `write` effect does.
 *
 * @example
 * const keeper = createHoldKeeper({ tab: 'a1', now: Date.now, timers: hostTimers, write: (patch) => store.write(patch) });
 * const release = keeper.hold('upload');
 */
export function createHoldKeeper(options: { tab: string; now(): number; timers: Timers; write(patch: HoldPatch): void }): HoldKeeper {
  const { tab, now, timers, write } = options;
  const reasons = new Map<object, string>();
  let timer: unknown = null;
  let stopped = false;
  const pause = (): void => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
  };
  /** Writes this tab's lease as it is now (released when nothing is held) and arms the next renewal. */
  const renew = (): void => {
    pause();
    if (stopped) return;
    const held = reasons.size > 0;
    write({ kind: 'hold', tab, reason: [...reasons.values()].join(', '), until: now() + (held ? HOLD_LEASE_MS : 0) });
    // One one-shot timer re-armed each time, never an interval (scheduler.ts says why).
    if (held) timer = timers.setTimeout(renew, HOLD_RENEW_MS);
  };
  return {
    hold(reason = '') {
      if (stopped) return () => {};
      const token = {};
      reasons.set(token, reason);
      renew();
      return () => {
        if (reasons.delete(token)) renew();
      };
    },
    suspend: pause,
    resume() {
      if (reasons.size && timer === null) renew();
    },
    leave() {
      if (!reasons.size) return;
      reasons.clear();
      renew();
    },
    stop() {
      stopped = true;
      pause();
    },
  };
}
