// The session rules, in one place: deadlines, caps and why a session ended. Pure functions of
// (record, now): no store, no HTTP, no clock of their own. Routes and stores call these.
import { statusBody, type SessionSummary, type StatusBody } from '../protocol/index.ts';
import type { RemovalMark, SessionDisplay, SessionRecord } from './store.ts';

/**
 * Why a session ended: its idle or absolute deadline passed, it signed out, the app or the user
 * from another browser ended it (`revoked`), or its subject signed in once more than
 * `maxSessionsPerSubject` allows and it was their oldest (`replaced`).
 */
export type EndReason = 'idle' | 'absolute' | 'signed-out' | RemovalMark;

export interface SessionSchedule {
  idleTimeoutMs: number;
  warningMs: number;
  absoluteTimeoutMs: number;
}

/**
 * The signed-in session as the app sees it (`await c.var.getSession()`, or `c.var.session` after
 * `requireSession`). `Data` is the type the app gave `createIdleSession<Data>()`.
 */
export interface ActiveSession<Data = unknown> {
  subject: string;
  data: Data;
  createdAt: number;
  idleDeadlineAt: number;
  absoluteDeadlineAt: number;
  /** Time left before the session ends, after this request's own extension. */
  remainingMs: number;
}

/** A live record as the app sees it at `now`. */
export function activeSession(record: SessionRecord, now: number): ActiveSession {
  return {
    subject: record.subject,
    data: record.data,
    createdAt: record.createdAt,
    idleDeadlineAt: record.idleDeadlineAt,
    absoluteDeadlineAt: record.absoluteDeadlineAt,
    remainingMs: Math.ceil(sessionEndsAt(record) - now),
  };
}

export function newSessionRecord(
  subject: string,
  data: unknown,
  now: number,
  schedule: SessionSchedule,
  display?: SessionDisplay,
): SessionRecord {
  const absoluteDeadlineAt = now + schedule.absoluteTimeoutMs;
  const record: SessionRecord = {
    subject,
    createdAt: now,
    idleDeadlineAt: Math.min(now + schedule.idleTimeoutMs, absoluteDeadlineAt),
    absoluteDeadlineAt,
  };
  // Only sessions that carry data pay for the property (the memory store keeps millions).
  if (data !== undefined) record.data = data;
  if (display !== undefined) record.display = display;
  return record;
}

/** When the session ends unless extended: the earlier of the two deadlines. */
export function sessionEndsAt(record: SessionRecord): number {
  return Math.min(record.idleDeadlineAt, record.absoluteDeadlineAt);
}

export function isLive(record: SessionRecord, now: number): boolean {
  return sessionEndsAt(record) > now;
}

/**
 * The idle deadline a keepalive asks for: the user was last active `idleMs` ago, so the session
 * should last `idleTimeoutMs` from then — never more than `idleTimeoutMs` from now.
 */
export function proposedIdleDeadline(now: number, idleMs: number, idleTimeoutMs: number): number {
  return now - Math.max(0, idleMs) + idleTimeoutMs;
}

/**
 * The store's one rule: the idle deadline a keepalive leaves — never earlier, never past the
 * absolute lifetime, and only while the session is live at `now` (undefined: it has ended and
 * is not revived). Stores apply it atomically (the memory store calls this; the Redis store runs
 * a copy in Lua); server/testing/deadline-rule.ts holds both to the same table of cases.
 *
 * @example
 * extendedIdleDeadline({ ...record, idleDeadlineAt: 300, absoluteDeadlineAt: 400 }, 900, 100) // 400
 */
export function extendedIdleDeadline(record: SessionRecord, proposedDeadlineAt: number, now: number): number | undefined {
  if (!isLive(record, now)) return undefined;
  return Math.min(Math.max(record.idleDeadlineAt, proposedDeadlineAt), record.absoluteDeadlineAt);
}

/** Why a session that is being removed at `now` ended. A live one can only end by sign-out. */
export function endReason(record: SessionRecord, now: number): EndReason {
  if (isLive(record, now)) return 'signed-out';
  return record.absoluteDeadlineAt <= record.idleDeadlineAt ? 'absolute' : 'idle';
}

/**
 * Why a session a store removed for `mark` (revoke, or a sign-in past the subject's limit) ended:
 * the mark if it was still live at `now`; else its time had run out first, and that is the reason.
 *
 * @example
 * removalReason(record, now, 'revoked') // 'revoked', or 'idle' / 'absolute' when it had ended already
 */
export function removalReason(record: SessionRecord, now: number, mark: RemovalMark): EndReason {
  return isLive(record, now) ? mark : endReason(record, now);
}

/**
 * When the user was last active, as far as the record tells: the idle deadline is last activity
 * + idleTimeoutMs, unless the absolute deadline capped it (then this is a lower bound).
 */
export function lastActiveAt(record: SessionRecord, schedule: SessionSchedule): number {
  return Math.max(record.createdAt, record.idleDeadlineAt - schedule.idleTimeoutMs);
}

/**
 * One row of a subject's list of sessions, as app code and the optional route show it.
 *
 * @example
 * sessionSummary(record, 'Zt3…', true, schedule) // { handle: 'Zt3…', current: true, createdAt, lastActiveAt, … }
 */
export function sessionSummary(record: SessionRecord, handle: string, current: boolean, schedule: SessionSchedule): SessionSummary {
  return {
    handle,
    current,
    createdAt: record.createdAt,
    lastActiveAt: lastActiveAt(record, schedule),
    idleDeadlineAt: record.idleDeadlineAt,
    absoluteDeadlineAt: record.absoluteDeadlineAt,
    display: record.display ?? {},
  };
}

export function activeStatusBody(
  record: SessionRecord,
  now: number,
  schedule: SessionSchedule,
): StatusBody {
  return statusBody({
    remainingMs: Math.ceil(sessionEndsAt(record) - now),
    idleTimeoutMs: schedule.idleTimeoutMs,
    warningMs: schedule.warningMs,
    absoluteRemainingMs: Math.ceil(record.absoluteDeadlineAt - now),
  });
}
