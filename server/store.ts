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
  /**
   * Optional, what the app chose at sign-in to show the user in a list of their sessions (device,
   * browser). Never changes; JSON-serialisable like `data`.
   */
  display?: SessionDisplay;
}

/** What a session shows in its subject's list of sessions: short strings the app chose. */
export type SessionDisplay = Readonly<Record<string, string>>;

/** A record with the key it is filed under, as the store hands records over. */
export interface StoredSession {
  key: string;
  record: SessionRecord;
}

/** A record a store removed because its time ran out, as `takeExpired` hands it over. */
export type ExpiredSession = StoredSession;

/**
 * Why a store removed a session on the app's behalf, and the mark it keeps for it afterwards:
 * `revoked` (the app, or the user from another browser, ended it), `replaced` (its subject signed
 * in once more than `maxPerSubject` allows, and this was their oldest session).
 */
export type RemovalMark = 'revoked' | 'replaced';

/**
 * What `get` and `extend` answer for a key that holds no live session but the mark `create` or
 * `revoke` left when they removed it while live, until the time that session would have ended by
 * itself (then, or once the store needs the room, the mark is forgotten). Lets a signed-out answer
 * say the session was ended elsewhere, read in the same step as the miss: no second store call.
 */
export interface RemovedSession {
  endedBy: RemovalMark;
}

const REMOVED: Readonly<Record<RemovalMark, RemovedSession>> = {
  revoked: Object.freeze({ endedBy: 'revoked' }),
  replaced: Object.freeze({ endedBy: 'replaced' }),
};

/** What `get`/`extend` answer for a key marked `mark`: one frozen object per mark, so a miss allocates nothing. */
export function removedSession(mark: RemovalMark): RemovedSession {
  return REMOVED[mark];
}

/** A live record, a removed session's mark, or undefined: what `get` and `extend` find. */
export type SessionLookupResult = SessionRecord | RemovedSession | undefined;

/**
 * The live record in what `get` or `extend` found, or undefined.
 *
 * @example
 * const record = liveRecord(await store.get(key, Date.now()));
 */
export function liveRecord(found: SessionLookupResult): SessionRecord | undefined {
  return found === undefined || 'endedBy' in found ? undefined : found;
}

/** Which of a subject's sessions `revoke` ends: all, only those in `keys`, or all but `exceptKeys`. */
export interface RevokeSelection {
  keys?: readonly string[];
  exceptKeys?: readonly string[];
}

export interface SessionStore {
  /**
   * The record if it exists and is live at `now`; never extends it. Otherwise, read in the same
   * step, `{ endedBy }` when the store keeps a removal mark for the key (see `RemovedSession`),
   * else undefined.
   */
  get(key: string, now: number): Promise<SessionLookupResult>;
  /**
   * Stores a new record and files it under its subject. With `maxPerSubject`, in the same atomic
   * step: when the subject already holds that many sessions (ended but uncollected ones included),
   * removes their oldest (by `createdAt`) until the new one is the `maxPerSubject`th, marks each
   * live one `replaced` (see `RemovedSession`) and returns all it removed, so each is reported once. Those
   * free their slots first: a subject at its limit never meets the store's cap. Throws
   * `SessionStoreFullError` (and removes nothing) when the store is at its cap.
   */
  create(key: string, record: SessionRecord, maxPerSubject?: number): Promise<StoredSession[]>;
  /** The subject's sessions that are live at `now`, oldest first. Drops index entries whose record is gone. */
  listSubject(subject: string, now: number): Promise<StoredSession[]>;
  /**
   * Atomically removes the subject's sessions that `which` selects (never another subject's),
   * marks each one live at `now` `revoked` (see `RemovedSession`), and returns every one it removed,
   * ended but uncollected ones included, so each is reported exactly once.
   */
  revoke(subject: string, which: RevokeSelection, now: number): Promise<StoredSession[]>;
  /**
   * Atomically replaces the data of a session that is live at `now` (undefined removes it);
   * returns the record after the update, or undefined when it is gone or not live. Never extends.
   */
  update(key: string, data: unknown, now: number): Promise<SessionRecord | undefined>;
  /**
   * Atomically, if the record exists and is live at `now`:
   * `idleDeadlineAt = min(max(idleDeadlineAt, proposedDeadlineAt), absoluteDeadlineAt)`.
   * Returns the record after the update; when it is gone or no longer live (it is never created or
   * revived), what `get` would: `{ endedBy }` when the store keeps a removal mark, else undefined.
   */
  extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionLookupResult>;
  /** Removes the record (and its index entries) whatever its state; returns what was removed, so exactly one caller sees it. */
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
  /**
   * Optional. `true` when every call settles without waiting for I/O or a timer (the memory
   * store). The server then sets no time bound on its calls: a timer cannot fire before a promise
   * that settles in the same turn of the event loop, so the bound would only cost time on every
   * request. Leave it out for a store that does any I/O (a network store, a file).
   */
  readonly settlesInProcess?: boolean;
}

/** The methods every store has (`adoptTimeLimit` and `settlesInProcess` are optional); createIdleSession checks a store has them all. */
export const SESSION_STORE_METHODS = ['get', 'create', 'extend', 'delete', 'takeExpired', 'listSubject', 'revoke', 'update'] as const satisfies readonly (keyof SessionStore)[];

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
