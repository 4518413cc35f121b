// The sweeper: one timer for all sessions, ending those whose deadline passed and nobody asks
// about again, so that `onSessionEnd` fires for them too.
import { endReason, type EndReason } from './session.ts';
import type { GuardedStore } from './guarded-store.ts';
import { SessionStoreUnavailableError, type ExpiredSession, type SessionRecord } from './store.ts';

/** Ended sessions collected per store call; the sweeper yields to the event loop between batches. */
const SWEEP_BATCH = 500;

export interface SweeperOptions {
  store: GuardedStore;
  now: () => number;
  /** 0: never by itself (call `sweepExpired()`, e.g. from a cron trigger). */
  intervalMs: number;
  /** Called once per ended session, with the reason fixed at the claim. */
  onEnded: (record: SessionRecord, reason: EndReason, endedAt: number) => void;
  logger: Pick<Console, 'error'>;
}

export interface Sweeper {
  /** Ends every session whose deadline has passed; resolves to how many. One sweep at a time. */
  sweepExpired(): Promise<number>;
  /** Stops the timer. */
  stop(): void;
}

/**
 * Starts the sweeper at once, not at the first request: an instance that gets no traffic (or a
 * fleet just restarted) must still end the sessions nobody asks about again.
 *
 * @example
 * const sweeper = startSweeper({ store, now: Date.now, intervalMs: 1_000, onEnded: report, logger: console });
 * await sweeper.sweepExpired(); // 3
 */
export function startSweeper(options: SweeperOptions): Sweeper {
  let sweeping: Promise<number> | undefined;

  function sweepExpired(): Promise<number> {
    // `finally` runs after the assignment even when sweepBatches fails at once.
    sweeping ??= sweepBatches().finally(() => (sweeping = undefined));
    return sweeping;
  }

  async function sweepBatches(): Promise<number> {
    let ended = 0;
    for (;;) {
      const at = options.now();
      // The reason is fixed at the claim, whenever its answer arrives.
      const report = (claimed: ExpiredSession[]) => {
        for (const { record } of claimed) options.onEnded(record, endReason(record, at), at);
      };
      const batch = await options.store.takeExpired(at, SWEEP_BATCH, report);
      report(batch);
      ended += batch.length;
      if (batch.length < SWEEP_BATCH) return ended;
      // Keep the event loop responsive when many sessions end at once.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  if (options.intervalMs > 0) {
    try {
      timer = setInterval(() => {
        sweepExpired().catch((error: unknown) => {
          // The guarded store has logged an outage already, once per window.
          if (!(error instanceof SessionStoreUnavailableError)) options.logger.error('idle-logout: sweeping ended sessions failed', error);
        });
      }, options.intervalMs);
      // Do not keep a Node process alive just to sweep (the method does not exist everywhere).
      (timer as { unref?: () => void }).unref?.();
    } catch (error) {
      // Cloudflare Workers refuse a timer outside a request ("Disallowed operation called within
      // global scope", developers.cloudflare.com/workers/runtime-apis/handlers/), where apps create
      // the session; and their timers do not outlive a request. Sweeping is then a Cron Trigger's.
      options.logger.error(
        'idle-logout: this runtime allows no timer here (Cloudflare Workers), so ended sessions are not swept by themselves. ' +
          'Call idle.sweepExpired() from a scheduled handler (a Cron Trigger) so that onSessionEnd fires for sessions nobody asks about again, ' +
          'and pass sweepIntervalMs: 0 to createIdleSession to say you do.',
        error,
      );
    }
  }

  return {
    sweepExpired,
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
