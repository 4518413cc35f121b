import { describe, expect, it } from 'vitest';
import { endReason, extendedIdleDeadline, lastActiveAt, newSessionRecord, proposedIdleDeadline, removalReason } from './session.ts';
import { DEADLINE_CASES, T0 } from './testing/deadline-rule.ts';

describe('the deadline rule (server/testing/deadline-rule.ts), as session.ts states it', () => {
  it.each(DEADLINE_CASES.filter((c) => c.session !== undefined))('$name', ({ session, proposedDeadlineAt, now, expected }) => {
    const record = { subject: 'alice', createdAt: T0, idleDeadlineAt: T0 + session!.idleDeadlineAt, absoluteDeadlineAt: T0 + session!.absoluteDeadlineAt };
    const extended = extendedIdleDeadline(record, T0 + proposedDeadlineAt, T0 + now);
    expect(extended).toBe(expected === 'not-live' ? undefined : T0 + expected);
  });
});

describe('a session the store removed for the app (revoke, or the per-subject limit)', () => {
  const record = { subject: 'alice', createdAt: T0, idleDeadlineAt: T0 + 1_000, absoluteDeadlineAt: T0 + 500 };
  it('ended for that reason when it was live, else for the deadline that had passed first', () => {
    expect(removalReason(record, T0 + 499, 'revoked')).toBe('revoked');
    expect(removalReason(record, T0 + 499, 'replaced')).toBe('replaced');
    expect(removalReason(record, T0 + 500, 'replaced')).toBe('absolute');
    expect(removalReason({ ...record, absoluteDeadlineAt: T0 + 5_000 }, T0 + 1_000, 'revoked')).toBe('idle');
  });

  it('was last active idleTimeoutMs before its idle deadline, never before sign-in', () => {
    const schedule = { idleTimeoutMs: 300, warningMs: 100, absoluteTimeoutMs: 10_000 };
    expect(lastActiveAt({ ...record, idleDeadlineAt: T0 + 1_000 }, schedule)).toBe(T0 + 700);
    expect(lastActiveAt({ ...record, idleDeadlineAt: T0 + 300 }, schedule)).toBe(T0);
  });
});

describe('what a keepalive proposes', () => {
  it('is idleTimeoutMs after the last activity, never later than idleTimeoutMs from now', () => {
    expect(proposedIdleDeadline(T0, 1_250, 300_000)).toBe(T0 - 1_250 + 300_000);
    expect(proposedIdleDeadline(T0, -5_000, 300_000)).toBe(T0 + 300_000);
  });
});

describe('a new session', () => {
  it('ends after the idle timeout, or at the absolute deadline if that is sooner', () => {
    const schedule = { idleTimeoutMs: 300_000, warningMs: 60_000, absoluteTimeoutMs: 43_200_000 };
    expect(newSessionRecord('alice', undefined, T0, schedule)).toEqual({ subject: 'alice', createdAt: T0, idleDeadlineAt: T0 + 300_000, absoluteDeadlineAt: T0 + 43_200_000 });
    expect(newSessionRecord('bob', { a: 1 }, T0, { ...schedule, absoluteTimeoutMs: 100_000 }).idleDeadlineAt).toBe(T0 + 100_000);
  });
});

describe('why a session ended', () => {
  it.each([
    ['signed-out', { idleDeadlineAt: T0 + 300_000, absoluteDeadlineAt: T0 + 400_000 }, T0 + 1],
    ['idle', { idleDeadlineAt: T0 + 300_000, absoluteDeadlineAt: T0 + 400_000 }, T0 + 300_000],
    ['absolute', { idleDeadlineAt: T0 + 400_000, absoluteDeadlineAt: T0 + 400_000 }, T0 + 400_000],
  ] as const)('%s', (reason, deadlines, at) => {
    expect(endReason({ subject: 'alice', createdAt: T0, ...deadlines }, at)).toBe(reason);
  });
});
