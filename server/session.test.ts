import { describe, expect, it } from 'vitest';
import { endReason, extendedIdleDeadline, newSessionRecord, proposedIdleDeadline } from './session.ts';
import { DEADLINE_CASES, T0 } from './testing/deadline-rule.ts';

describe('the deadline rule (server/testing/deadline-rule.ts), as session.ts states it', () => {
  it.each(DEADLINE_CASES.filter((c) => c.session !== undefined))('$name', ({ session, proposedDeadlineAt, now, expected }) => {
    const record = { subject: 'alice', createdAt: T0, idleDeadlineAt: T0 + session!.idleDeadlineAt, absoluteDeadlineAt: T0 + session!.absoluteDeadlineAt };
    const extended = extendedIdleDeadline(record, T0 + proposedDeadlineAt, T0 + now);
    expect(extended).toBe(expected === 'not-live' ? undefined : T0 + expected);
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
