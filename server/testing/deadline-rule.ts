// The deadline rule as a table: what a keepalive may do to a session. session.test.ts runs it
// against the TypeScript statement (session.ts `extendedIdleDeadline`), and the store contract
// suite against every store (the memory store calls that function; the Redis store has its own
// copy in Lua). An edit to one copy that is not made everywhere fails here.
//
// The rule: the idle deadline never moves earlier, never passes the absolute lifetime, and moves
// only while the session is live; a session that is absent or ended is never created or revived.

export const T0 = 1_700_000_000_000;

export interface DeadlineCase {
  name: string;
  /** The session before the keepalive (deadlines relative to T0), or none at all. */
  session: { idleDeadlineAt: number; absoluteDeadlineAt: number } | undefined;
  /** The keepalive: the idle deadline it proposes and the time the store runs it. */
  proposedDeadlineAt: number;
  now: number;
  /** The idle deadline after it, or 'not-live': nothing is extended, created or revived. */
  expected: number | 'not-live';
}

export const DEADLINE_CASES: readonly DeadlineCase[] = [
  { name: 'a later proposal moves the deadline', session: { idleDeadlineAt: 300_000, absoluteDeadlineAt: 400_000 }, proposedDeadlineAt: 350_000, now: 50_000, expected: 350_000 },
  { name: 'an earlier proposal never moves it earlier', session: { idleDeadlineAt: 350_000, absoluteDeadlineAt: 400_000 }, proposedDeadlineAt: 320_000, now: 60_000, expected: 350_000 },
  { name: 'the same deadline stays', session: { idleDeadlineAt: 350_000, absoluteDeadlineAt: 400_000 }, proposedDeadlineAt: 350_000, now: 60_000, expected: 350_000 },
  { name: 'never past the absolute lifetime', session: { idleDeadlineAt: 300_000, absoluteDeadlineAt: 400_000 }, proposedDeadlineAt: 900_000, now: 70_000, expected: 400_000 },
  { name: 'a proposal exactly at the absolute deadline reaches it', session: { idleDeadlineAt: 300_000, absoluteDeadlineAt: 400_000 }, proposedDeadlineAt: 400_000, now: 70_000, expected: 400_000 },
  // A second, not a millisecond, before the end: a network store judges liveness at the time it
  // runs the command (now + how late it arrived), so the last millisecond depends on the link.
  { name: 'shortly before the end it is still live', session: { idleDeadlineAt: 300_000, absoluteDeadlineAt: 43_200_000 }, proposedDeadlineAt: 599_000, now: 299_000, expected: 599_000 },
  { name: 'at the idle deadline it has ended: not revived', session: { idleDeadlineAt: 300_000, absoluteDeadlineAt: 43_200_000 }, proposedDeadlineAt: 600_000, now: 300_000, expected: 'not-live' },
  { name: 'past the idle deadline: not revived', session: { idleDeadlineAt: 300_000, absoluteDeadlineAt: 43_200_000 }, proposedDeadlineAt: 900_000, now: 600_000, expected: 'not-live' },
  { name: 'at the absolute deadline (idle later) it has ended: not revived', session: { idleDeadlineAt: 10_000, absoluteDeadlineAt: 5_000 }, proposedDeadlineAt: 20_000, now: 5_000, expected: 'not-live' },
  { name: 'no session: never created', session: undefined, proposedDeadlineAt: 300_000, now: 0, expected: 'not-live' },
];
