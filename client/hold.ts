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
//
// A tab that is closed releases on `pagehide`, but its write to IndexedDB is a read and then a put,
// and the put needs a task that a closing page may never run (in Chromium, 2 of 5 closes of
// e2e/hold.test.ts lost the release). So it also announces the release over the channel, and every tab that
// hears a release writes it too (`isRelease`): the tabs that stay are the ones a dead tab's hold
// would keep signed in, so they are the ones that must know.
import type { Patch, SessionChange } from './core.ts';
import type { Timers } from './timers.ts';

/**
 * One tab's lease. `until`: epoch ms the hold counts to (the release time once released); `at`:
 * when the tab wrote it, so a release that another tab writes late never undoes a newer hold.
 */
export interface HoldLease {
  reason: string;
  at: number;
  until: number;
}

/** The leases in the shared record, by tab. */
export type Holds = Record<string, HoldLease>;

/** A tab takes, renews or (with `until` = `at`) releases its hold. */
export interface HoldPatch extends HoldLease {
  kind: 'hold';
  tab: string;
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

/** What the holds of the shared record mean at a moment (`holdAt`). */
export interface HoldState {
  /** The latest input the holds stand for: now while a lease is live, else the end of the latest lapsed or released one; 0 without holds. */
  inputAt: number;
  /** Whether some lease is live. */
  live: boolean;
  /** When the latest lease was taken or renewed (meaningful while live). */
  renewedAt: number;
}

/**
 * The hold rule, as the core applies it at `now` (`HoldState`).
 *
 * @example
 * const { inputAt, live } = holdAt(record.holds, Date.now());
 */
export function holdAt(holds: Holds | undefined, now: number): HoldState {
  let until = 0;
  for (const tab in holds) until = Math.max(until, holds[tab]!.until);
  return { inputAt: Math.min(now, until), live: until > now, renewedAt: until - HOLD_LEASE_MS };
}

/**
 * The leases after `patch`, or undefined if it changes nothing: it is the one the record has (as
 * when several tabs write a release they heard), or older than it. Leases that ended before
 * `coveredUntil` (the time the session's deadline already counts input to) are dropped: they can
 * change nothing, and each page load has its own tab id, so they would pile up.
 */
export function applyHold(holds: Holds | undefined, patch: HoldPatch, coveredUntil: number): Holds | undefined {
  const { tab, reason, at, until } = patch;
  const old = holds?.[tab];
  if (old && (at < old.at || (at === old.at && until === old.until && reason === old.reason))) return undefined;
  const next: Holds = {};
  for (const other in holds) if (holds[other]!.until > coveredUntil) next[other] = holds[other]!;
  next[tab] = { reason, at, until };
  return next;
}

/**
 * Whether `patch`, heard from another tab, is a release, which the hearing tab writes too (see
 * above).
 *
 * @example
 * if (isRelease(patch)) store.write(patch);
 */
export function isRelease(patch: Patch | SessionChange | undefined): patch is HoldPatch {
  return patch?.kind === 'hold' && (patch as HoldPatch).until <= (patch as HoldPatch).at;
}

export interface HoldKeeper {
  /** Takes a hold; returns its release (idempotent). */
  hold(reason?: string): () => void;
  /** The page stops running (freeze, back/forward cache): stop renewing; the lease runs out by itself. */
  suspend(): void;
  /** The page runs again: renew at once if still held. */
  resume(): void;
  /** The page goes away for good (pagehide, not into the cache): release now, and announce it. */
  leave(): void;
  /** The SDK stopped or signed out: no more writes. */
  stop(): void;
}

/**
 * This tab's holds and the renewal of its lease (one entry per tab, whatever the number of holds):
 * the shell around the rule above. `write` applies a patch to the shared record and tells the
 * other tabs, as every core `write` effect does; with `announce`, it tells them at once, before
 * the write lands (the page is going away).
 *
 * @example
 * const keeper = createHoldKeeper({ tab: 'a1', now: Date.now, timers: hostTimers, write: (patch) => store.write(patch) });
 * const release = keeper.hold('upload');
 */
export function createHoldKeeper(options: { tab: string; now(): number; timers: Timers; write(patch: HoldPatch, announce?: boolean): void }): HoldKeeper {
  const { tab, now, timers, write } = options;
  const reasons = new Map<object, string>();
  let timer: unknown = null;
  let stopped = false;
  const pause = (): void => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
  };
  /** Writes this tab's lease as it is now (released when nothing is held) and arms the next renewal. */
  const renew = (announce?: boolean): void => {
    pause();
    if (stopped) return;
    const held = reasons.size > 0;
    const at = now();
    write({ kind: 'hold', tab, reason: [...reasons.values()].join(', '), at, until: at + (held ? HOLD_LEASE_MS : 0) }, announce);
    // One one-shot timer re-armed each time, never an interval (scheduler.ts says why).
    if (held) timer = timers.setTimeout(() => renew(), HOLD_RENEW_MS);
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
      renew(true);
    },
    stop() {
      stopped = true;
      pause();
    },
  };
}
