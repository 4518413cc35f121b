/**
 * The contract every session store keeps. Stores only store: the deadline rules live in
 * `session.ts`, and the one rule a store must apply itself — "extend, but never earlier and never
 * past the absolute deadline, and only while live" — is a single atomic step so that two requests
 * (or two server instances) can never race it.
 *
 * Keys are SHA-256 digests of session ids (base64url); a store never sees an id.
 */
export interface SessionRecord {
  /** Who is signed in, as the app named them at sign-in. */
  subject: string;
  /** Optional app data, JSON-serialisable (kept as given; stores that serialise use JSON). */
  data?: unknown;
  /** Epoch ms of sign-in. */
  createdAt: number;
  /** Epoch ms at which the session ends unless extended. */
  idleDeadlineAt: number;
  /** Epoch ms at which the session ends whatever happens (sign-in + absolute lifetime). */
  absoluteDeadlineAt: number;
}

/** A record a store removed because its time ran out, as `takeExpired` hands it over. */
export interface ExpiredSession {
  key: string;
  record: SessionRecord;
}

export interface SessionStore {
  /** The record if it exists and is live at `now`; never extends it. */
  get(key: string, now: number): Promise<SessionRecord | undefined>;
  /** Stores a new record. Throws `SessionStoreFullError` when the store is at its cap. */
  create(key: string, record: SessionRecord): Promise<void>;
  /**
   * Atomically, if the record exists and is live at `now`:
   * `idleDeadlineAt = min(max(idleDeadlineAt, proposedDeadlineAt), absoluteDeadlineAt)`.
   * Returns the record after the update, or undefined when it is gone or no longer live (it is
   * never created or revived).
   */
  extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionRecord | undefined>;
  /** Removes the record whatever its state; returns what was removed, so exactly one caller sees it. */
  delete(key: string): Promise<SessionRecord | undefined>;
  /**
   * Removes and returns up to `limit` records whose deadline (idle or absolute) is at or before
   * `now`. Each record is handed out exactly once across all callers (and, for shared stores,
   * across all server instances).
   */
  takeExpired(now: number, limit: number): Promise<ExpiredSession[]>;
  /**
   * Optional. `createIdleSession` calls it once, before any other call, with its `storeTimeoutMs`:
   * the one time bound of every store call (past it the request gets 503). A store whose commands
   * can run after the caller gave up (a network store) uses it to refuse work that reaches it later
   * than that, so a late command changes nothing. What a `delete` or `takeExpired` removes is
   * reported even when its answer comes after the bound: the server keeps waiting for it.
   * Throws when the store already follows a different bound.
   */
  adoptTimeLimit?(limitMs: number): void;
}

/** Thrown by `create` when the store refuses new sessions rather than evict live ones. */
export class SessionStoreFullError extends Error {
  override readonly name = 'SessionStoreFullError';
}

/** Thrown when a store call fails or does not answer in time; the request gets 503. */
export class SessionStoreUnavailableError extends Error {
  override readonly name = 'SessionStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
