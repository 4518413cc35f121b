// The session store as the server uses it: every call bounded in time, every failure one of the
// two store errors (→ 503), an outage logged once per window, and what a call answers after the
// bound handed to whoever still has to report it. It keeps the SessionStore contract itself
// (server/testing/store-contract.ts runs against it).
import { createTimeLimit } from './time-limit.ts';
import {
  SessionStoreFullError,
  SessionStoreUnavailableError,
  type ExpiredSession,
  type RevokeSelection,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './store.ts';

/** At most one store-outage log line per this many ms. */
const OUTAGE_REPORT_INTERVAL_MS = 10_000;

export interface GuardedStoreOptions {
  /** The one time bound of every store call (`storeTimeoutMs`). */
  timeLimitMs: number;
  now: () => number;
  logger: Pick<Console, 'error'>;
}

/** A SessionStore whose removing calls can also report what they remove after the bound. */
export interface GuardedStore extends SessionStore {
  /** `onLate` gets the sessions the create replaced if its answer arrives after the bound. */
  create(key: string, record: SessionRecord, maxPerSubject?: number, onLate?: (replaced: StoredSession[]) => void): Promise<StoredSession[]>;
  /** `onLate` gets what the revoke removed if its answer arrives after the bound. */
  revoke(subject: string, which: RevokeSelection, now: number, onLate?: (removed: StoredSession[]) => void): Promise<StoredSession[]>;
  /** `onLate` gets the record if the store removes it after the call already failed for time. */
  delete(key: string, onLate?: (removed: SessionRecord | undefined) => void): Promise<SessionRecord | undefined>;
  /**
   * `onLate` gets the claim's records if they arrive after the bound. While a claim is
   * unanswered, the next one fails at once: it would only queue behind it.
   */
  takeExpired(now: number, limit: number, onLate?: (claimed: ExpiredSession[]) => void): Promise<ExpiredSession[]>;
}

/**
 * Wraps `store` for the server. Calls `store.adoptTimeLimit` (a network store then refuses
 * commands that reach it later than the bound).
 *
 * @example
 * const store = guardStore(new MemorySessionStore(), { timeLimitMs: 2_000, now: Date.now, logger: console });
 * await store.get(key, Date.now()); // a record, { endedBy }, undefined, or a SessionStore…Error within 2 s
 */
export function guardStore(store: SessionStore, options: GuardedStoreOptions): GuardedStore {
  // storeTimeoutMs is the ONE time bound of the store: every call answers within it, and a store
  // whose commands can arrive late (Redis) refuses work that reaches it later than that.
  store.adoptTimeLimit?.(options.timeLimitMs);
  // One line per outage window, not a stack trace per request: a store outage under load would
  // otherwise flood the logs.
  let lastOutageReportAt = -Infinity;
  function reported(error: Error): Error {
    if (!(error instanceof SessionStoreUnavailableError)) return error;
    const at = options.now();
    if (at - lastOutageReportAt >= OUTAGE_REPORT_INTERVAL_MS) {
      lastOutageReportAt = at;
      options.logger.error(`idle-logout: session store unavailable (${error.message}); answering 503`, error.cause ?? error);
    }
    return error;
  }

  const storeError = (error: unknown) => reported(asStoreError(error));
  const withinLimit = createTimeLimit(
    options.timeLimitMs,
    () => reported(new SessionStoreUnavailableError(`the session store did not answer within ${options.timeLimitMs} ms`)),
    storeError,
  );
  // A store that settles in process is never late (SessionStore.settlesInProcess): its calls keep
  // only the error mapping, without a timer entry and a wrapping promise each. Decided once here.
  const rethrowStoreError = (error: unknown) => {
    throw storeError(error);
  };
  const bound: <T>(pending: Promise<T>, onLate?: (value: T) => void) => Promise<T> =
    store.settlesInProcess === true ? (pending) => pending.catch(rethrowStoreError) : withinLimit;
  function call<T>(operation: () => Promise<T>, onLate?: (value: T) => void): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch (error) {
      pending = Promise.reject(error); // a store that throws instead of rejecting
    }
    return bound(pending, onLate);
  }

  /** Expiry claims sent and not answered yet; one still there at the next claim outlived the bound. */
  let claimsUnanswered = 0;
  function claim(now: number, limit: number): Promise<ExpiredSession[]> {
    if (claimsUnanswered > 0) throw new SessionStoreUnavailableError('the session store has not answered the previous expiry claim yet');
    const claimed = store.takeExpired(now, limit); // a store that throws here sent nothing
    claimsUnanswered += 1;
    const answered = () => void (claimsUnanswered -= 1);
    claimed.then(answered, answered);
    return claimed;
  }

  return {
    get: (key, now) => call(() => store.get(key, now)),
    create: (key, record, maxPerSubject, onLate) => call(() => store.create(key, record, maxPerSubject), onLate),
    listSubject: (subject, now) => call(() => store.listSubject(subject, now)),
    revoke: (subject, which, now, onLate) => call(() => store.revoke(subject, which, now), onLate),
    update: (key, data, now) => call(() => store.update(key, data, now)),
    extend: (key, proposedDeadlineAt, now) => call(() => store.extend(key, proposedDeadlineAt, now)),
    delete: (key, onLate) => call(() => store.delete(key), onLate),
    takeExpired: (now, limit, onLate) => call(() => claim(now, limit), onLate),
  };
}

function asStoreError(error: unknown): Error {
  return error instanceof SessionStoreFullError || error instanceof SessionStoreUnavailableError
    ? error
    : new SessionStoreUnavailableError('the session store failed', { cause: error });
}
