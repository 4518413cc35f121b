// The parts `createIdleSession` builds once and the routes, the middleware and sign-in share.
import type { Context } from 'hono';
import type { SessionCookie } from './cookie.ts';
import type { CsrfPolicy } from './csrf.ts';
import type { GuardedStore } from './guarded-store.ts';
import type { EndedSession } from './options.ts';
import type { EndReason, SessionSchedule } from './session.ts';
import type { SessionRecord } from './store.ts';

export interface SessionParts {
  store: GuardedStore;
  cookie: SessionCookie;
  csrf: CsrfPolicy;
  schedule: SessionSchedule;
  /** A sign-in past it replaces the subject's oldest session(s). */
  maxSessionsPerSubject: number;
  now: () => number;
  isBackgroundRequest: (c: Context) => boolean;
  /** Tells the app a session ended (`onSessionEnd`); never throws. */
  reportEnded: (record: SessionRecord, reason: EndReason, endedAt: number) => void;
  logger: Pick<Console, 'error'>;
}

/**
 * The `reportEnded` of the parts: calls `onSessionEnd`, and logs what it throws or rejects with.
 *
 * @example
 * const reportEnded = endReporter((s) => audit(s.subject, s.reason), console);
 */
export function endReporter(
  onSessionEnd: ((ended: EndedSession) => unknown) | undefined,
  logger: Pick<Console, 'error'>,
): SessionParts['reportEnded'] {
  return (record, reason, endedAt) => {
    if (!onSessionEnd) return;
    const ended: EndedSession = { subject: record.subject, reason, createdAt: record.createdAt, endedAt };
    if (record.data !== undefined) ended.data = record.data;
    try {
      const result = onSessionEnd(ended);
      if (result instanceof Promise) result.catch((error: unknown) => logger.error('idle-logout: onSessionEnd failed', error));
    } catch (error) {
      logger.error('idle-logout: onSessionEnd failed', error);
    }
  };
}
