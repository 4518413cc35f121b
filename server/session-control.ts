// Per-user session control for app code: list a subject's sessions, end one by handle, end all
// (but the current one), and change the current session's data. Each is one store call but two
// cases of two: ending one by its handle (a list, then the revoke) and updating for a request
// with several session cookies (a read to tell which is live, then the update). Every ended
// session is reported once with its reason; the rules live in session.ts, the atomic steps in the
// stores.
import type { Context } from 'hono';
import { errorException, storeFailureCode } from './answers.ts';
import { findSession } from './find-session.ts';
import type { SessionParts } from './parts.ts';
import { activeSession, removalReason, sessionSummary, type ActiveSession } from './session.ts';
import { sessionHandleFor, storeKeyFor } from './session-id.ts';
import type { RemovalMark, StoredSession } from './store.ts';
import type { SessionSummary } from '../protocol/index.ts';

/** The store keys the request's session cookies name (the current session is among them, if any). */
export function requestKeys(parts: SessionParts, c: Context): string[] {
  return parts.cookie.read(c).ids.map(storeKeyFor);
}

/** A reporter for what a store removed for `mark`, whenever its answer comes. */
export function removalReporter(parts: SessionParts, mark: RemovalMark, at: number) {
  return (removed: StoredSession[]) => {
    for (const { record } of removed) parts.reportEnded(record, removalReason(record, at, mark), parts.now());
  };
}

/** Runs a store step for app code: a store failure becomes the protocol's 503 as an HTTPException. */
async function answeringFailures<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw errorException(storeFailureCode(error), { cause: error });
  }
}

/**
 * The subject's live sessions, oldest first; with `c`, the request's own is marked `current`.
 *
 * @example
 * const sessions = await listSessions(parts, 'alice', c);
 */
export async function listSessions(parts: SessionParts, subject: string, c?: Context): Promise<SessionSummary[]> {
  const current = new Set(c ? requestKeys(parts, c) : []);
  const listed = await answeringFailures(() => parts.store.listSubject(subject, parts.now()));
  return listed.map(({ key, record }) => sessionSummary(record, sessionHandleFor(key), current.has(key), parts.schedule));
}

/**
 * Ends the subject's sessions the selection names (reason `revoked`); resolves to how many ended.
 * Only the subject's own can be named: the store looks among them alone.
 */
async function revoke(parts: SessionParts, subject: string, which: { keys?: string[]; exceptKeys?: string[] }): Promise<number> {
  const at = parts.now();
  const report = removalReporter(parts, 'revoked', at);
  const removed = await answeringFailures(() => parts.store.revoke(subject, which, at, report));
  report(removed);
  return removed.length;
}

/**
 * Ends the subject's session shown with `handle`; false when the subject has no such session.
 *
 * @example
 * await endSession(parts, 'alice', handle) // true
 */
export async function endSession(parts: SessionParts, subject: string, handle: string): Promise<boolean> {
  const listed = await answeringFailures(() => parts.store.listSubject(subject, parts.now()));
  const key = listed.find((session) => sessionHandleFor(session.key) === handle)?.key;
  return key !== undefined && (await revoke(parts, subject, { keys: [key] })) > 0;
}

/**
 * Ends all of the subject's sessions, or all but the one `except` carries (after a password
 * change: ASVS V3.3.3). Resolves to how many ended.
 *
 * @example
 * await endSessions(parts, 'alice', { except: c }) // 3
 */
export async function endSessions(parts: SessionParts, subject: string, options: { except?: Context } = {}): Promise<number> {
  return revoke(parts, subject, { exceptKeys: options.except ? requestKeys(parts, options.except) : [] });
}

/**
 * The store key of the request's session, undefined when it has none. One cookie, as nearly every
 * request carries, needs no store call: the store's update changes a session only while it is
 * live. Several are resolved as every request resolves them (findSession), with one read.
 */
async function currentKey(parts: SessionParts, c: Context): Promise<string | undefined> {
  const cookies = parts.cookie.read(c);
  if (cookies.ids.length === 1) return storeKeyFor(cookies.ids[0]!);
  const found = await answeringFailures(() => findSession(parts, cookies));
  return found.kind === 'live' ? found.key : undefined;
}

/**
 * Replaces the data of the request's live session in one atomic store step (a role change, a
 * step-up), and `c.var.session` / `c.var.getSession()` with it; null when the request has none.
 *
 * @example
 * await updateSession(parts, c, { role: 'admin', stepUpAt: Date.now() });
 */
export async function updateSession(parts: SessionParts, c: Context, data: unknown): Promise<ActiveSession | null> {
  const key = await currentKey(parts, c);
  if (key === undefined) return null;
  const at = parts.now();
  const record = await answeringFailures(() => parts.store.update(key, data, at));
  const session = record ? activeSession(record, at) : null;
  c.set('getSession', () => Promise.resolve(session));
  c.set('session', session ?? undefined);
  return session;
}
