// The hold rule and the lease keeper on their own: pure functions fed times, and the keeper on the
// fake clock. The tabs and the server around them are in hold.shell.test.ts.
import { describe, expect, it } from 'vitest';
import { applyPatch, emptyRecord, type SharedRecord } from './core.ts';
import { applyHold, createHoldKeeper, holdAt, isRelease, HOLD_LEASE_MS, HOLD_RENEW_MS, type HoldPatch } from './hold.ts';
import { FakeClock, T0 } from './testing/clock.ts';

const T = 300_000;

describe('holdAt: what the holds stand for', () => {
  it('no holds: no input, nothing live', () => {
    expect(holdAt(undefined, T0)).toMatchObject({ inputAt: 0, live: false });
    expect(holdAt({}, T0)).toMatchObject({ inputAt: 0, live: false });
  });

  it('a live lease is input now, at every moment until it ends', () => {
    const holds = { a: { reason: 'upload', at: T0, until: T0 + HOLD_LEASE_MS } };
    expect(holdAt(holds, T0)).toEqual({ inputAt: T0, live: true, renewedAt: T0 });
    expect(holdAt(holds, T0 + HOLD_LEASE_MS - 1)).toEqual({ inputAt: T0 + HOLD_LEASE_MS - 1, live: true, renewedAt: T0 });
  });

  it('a lapsed or released lease is input at its end, and no longer live', () => {
    const holds = { a: { reason: 'upload', at: T0, until: T0 } };
    expect(holdAt(holds, T0)).toMatchObject({ inputAt: T0, live: false });
    expect(holdAt(holds, T0 + 60_000)).toMatchObject({ inputAt: T0, live: false });
  });

  it('of several tabs, the latest lease counts', () => {
    const holds = { a: { reason: 'upload', at: T0 - 5_000, until: T0 - 5_000 }, b: { reason: 'call', at: T0 + 10_000 - HOLD_LEASE_MS, until: T0 + 10_000 } };
    expect(holdAt(holds, T0)).toEqual({ inputAt: T0, live: true, renewedAt: T0 + 10_000 - HOLD_LEASE_MS });
  });
});

describe('applyHold: the leases in the shared record', () => {
  const lease = (reason: string, at: number, until: number) => ({ reason, at, until });
  const patch = (tab: string, reason: string, at: number, until: number): HoldPatch => ({ kind: 'hold', tab, ...lease(reason, at, until) });

  it('sets the tab’s own lease and drops others that ended before the deadline’s covered time', () => {
    const holds = { old: lease('x', T0 - 9, T0 - 1), live: lease('call', T0 - 9, T0 + 5) };
    expect(applyHold(holds, patch('me', 'upload', T0, T0 + HOLD_LEASE_MS), T0)).toEqual({
      live: lease('call', T0 - 9, T0 + 5),
      me: lease('upload', T0, T0 + HOLD_LEASE_MS),
    });
  });

  it('a release written again (by the tabs that heard it) changes nothing; an older patch never undoes a newer one', () => {
    const holds = { me: lease('', T0, T0) };
    expect(applyHold(holds, patch('me', '', T0, T0), 0)).toBeUndefined();
    const heldAgain = { me: lease('upload', T0 + 1, T0 + 1 + HOLD_LEASE_MS) };
    expect(applyHold(heldAgain, patch('me', '', T0, T0), 0)).toBeUndefined();
    // Hold and release in the same millisecond: the release still lands.
    expect(applyHold({ me: lease('upload', T0, T0 + HOLD_LEASE_MS) }, patch('me', '', T0, T0), 0)).toEqual(holds);
  });

  it('through applyPatch: merged into the record; unchanged when it changes nothing, and once signed out', () => {
    const record: SharedRecord = { ...emptyRecord(), deadlineAt: T0 + T, absoluteDeadlineAt: T0 + 10 * T, idleTimeoutMs: T, warningMs: 60_000 };
    const taken = patch('me', 'upload', T0, T0 + HOLD_LEASE_MS);
    const held = applyPatch(record, taken);
    expect(held).toMatchObject({ applied: true, record: { holds: { me: lease('upload', T0, T0 + HOLD_LEASE_MS) } } });
    expect(applyPatch(held.record, taken).applied).toBe(false);
    expect(applyPatch({ ...record, signedOutAt: T0, signedOutReason: 'idle' }, taken).applied).toBe(false);
  });

  it('isRelease: a hold patch that ends when written', () => {
    expect(isRelease(patch('me', '', T0, T0))).toBe(true);
    expect(isRelease(patch('me', 'upload', T0, T0 + HOLD_LEASE_MS))).toBe(false);
    expect(isRelease({ kind: 'activity', at: T0 })).toBe(false);
    expect(isRelease(undefined)).toBe(false);
  });
});

describe('createHoldKeeper: one lease per tab, renewed on the clock', () => {
  function keeper() {
    const clock = new FakeClock();
    const writes: HoldPatch[] = [];
    const announced: HoldPatch[] = [];
    const write = (patch: HoldPatch, announce?: boolean) => {
      writes.push(patch);
      if (announce) announced.push(patch);
    };
    return { clock, writes, announced, keeper: createHoldKeeper({ tab: 't', now: () => clock.now, timers: clock, write }) };
  }

  it('takes the lease at once, renews it every HOLD_RENEW_MS, and release ends it at the release time', async () => {
    const { clock, writes, keeper: k } = keeper();
    const release = k.hold('upload');
    expect(writes).toEqual([{ kind: 'hold', tab: 't', reason: 'upload', at: T0, until: T0 + HOLD_LEASE_MS }]);
    await clock.advance(HOLD_RENEW_MS * 2);
    expect(writes.map((w) => w.until)).toEqual([T0, T0 + HOLD_RENEW_MS, T0 + 2 * HOLD_RENEW_MS].map((at) => at + HOLD_LEASE_MS));
    await clock.advance(1_000);
    release();
    expect(writes.at(-1)).toEqual({ kind: 'hold', tab: 't', reason: '', at: clock.now, until: clock.now });
    release(); // idempotent
    await clock.advance(HOLD_RENEW_MS * 4);
    expect(writes).toHaveLength(4); // nothing renews a released hold
  });

  it('several holds share the lease; it ends with the last release', async () => {
    const { clock, writes, keeper: k } = keeper();
    const releaseUpload = k.hold('upload');
    const releaseCall = k.hold('call');
    expect(writes.at(-1)).toMatchObject({ reason: 'upload, call', until: T0 + HOLD_LEASE_MS });
    releaseUpload();
    expect(writes.at(-1)).toMatchObject({ reason: 'call', until: T0 + HOLD_LEASE_MS });
    await clock.advance(HOLD_RENEW_MS);
    releaseCall();
    expect(writes.at(-1)).toMatchObject({ reason: '', until: T0 + HOLD_RENEW_MS });
  });

  it('suspended (frozen, bfcache): no renewal; renews at once on resume', async () => {
    const { clock, writes, keeper: k } = keeper();
    k.hold('call');
    k.suspend();
    await clock.advance(HOLD_LEASE_MS * 2);
    expect(writes).toHaveLength(1);
    k.resume();
    k.resume(); // pageshow and resume both come: one renewal
    expect(writes.map((w) => w.until)).toEqual([T0 + HOLD_LEASE_MS, clock.now + HOLD_LEASE_MS]);
  });

  it('leave (the page goes away) releases now and announces it; stop writes nothing more and later holds do nothing', async () => {
    const { clock, writes, announced, keeper: k } = keeper();
    k.leave(); // nothing held: nothing to write
    expect(writes).toHaveLength(0);
    k.hold('upload');
    await clock.advance(5_000);
    k.leave();
    expect(writes.at(-1)).toEqual({ kind: 'hold', tab: 't', reason: '', at: T0 + 5_000, until: T0 + 5_000 });
    expect(announced).toEqual([writes.at(-1)]); // only this write: the page may end before it lands
    const release = k.hold('call');
    k.stop();
    await clock.advance(HOLD_RENEW_MS * 2);
    release();
    k.hold('again')();
    expect(writes).toHaveLength(3);
  });
});
