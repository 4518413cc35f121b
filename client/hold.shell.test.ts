// `hold()` with the shells wired to the core: simulated tabs sharing one clock, channel hub, store
// and the real server app (client/testing/). No input anywhere unless a test says so: only the hold keeps the
// session alive.
import { afterEach, describe, expect, it } from 'vitest';
import type { Patch } from './core.ts';
import { holdAt, HOLD_LEASE_MS, HOLD_RENEW_MS } from './hold.ts';
import { memorySharedStore, type SharedStore } from './shared-state.ts';
import { T0, type FakeClock } from './testing/clock.ts';
import { SimOrigin, type SimTab } from './testing/tabs.ts';
import type { IdleLogoutHost, IdleLogoutOptions } from './start.ts';
import type { TabSyncHandlers } from './tab-sync.ts';
import type { Timers } from './timers.ts';

const T = 300_000;
const W = 60_000;
const MINUTE = 60_000;

const opened: SimOrigin[] = [];
afterEach(() => opened.splice(0).forEach((o) => o.closeAll()));
/** A simulated origin, closed after the test. */
const origin = (...args: ConstructorParameters<typeof SimOrigin>): SimOrigin => opened[opened.push(new SimOrigin(...args)) - 1]!;

/** Tab B opened first (it leads), then tab A, which holds from T0 to just after a renewal 10 minutes on. */
async function holdingInA(options: (o: SimOrigin) => IdleLogoutOptions & IdleLogoutHost = () => ({})) {
  const o = origin();
  const b = await o.open();
  const a = await o.open(options(o));
  a.handle.hold('upload');
  await o.clock.advance(10 * MINUTE + 1_000);
  return { o, a, b, lastRenewalAt: o.clock.now - 1_000 };
}

/** A store that notes when each hold patch was written (on the shared clock). */
function loggingStore(clock: () => number): SharedStore & { holds: [number, Patch][] } {
  const inner = memorySharedStore();
  const holds: [number, Patch][] = [];
  return {
    holds,
    read: () => inner.read(),
    write(patch) {
      if (patch.kind === 'hold') holds.push([clock(), patch]);
      return inner.write(patch);
    },
  };
}

/** A tab's timers that can stop, as a frozen page's do (it runs no task at all). */
function freezableTimers(clock: FakeClock) {
  let frozen = false;
  const timers: Timers & { freeze(): void } = {
    setTimeout: (callback, delayMs) => clock.setTimeout(() => frozen || callback(), delayMs),
    clearTimeout: (id) => clock.clearTimeout(id),
    freeze: () => void (frozen = true),
  };
  return timers;
}

/**
 * Chrome's intensive throttling of a tab hidden > 5 min: a timer runs at the next whole minute at
 * the earliest, and here up to 10 s later still (wake-ups are batched; a busy machine adds more).
 */
function throttledTimers(clock: FakeClock): Timers {
  let n = 0;
  return {
    setTimeout: (callback, delayMs) => {
      const lateMs = (n++ * 7_000) % 11_000;
      const dueAt = Math.ceil((clock.now + delayMs - T0) / MINUTE) * MINUTE + T0 + lateMs;
      return clock.setTimeout(callback, dueAt - clock.now);
    },
    clearTimeout: (id) => clock.clearTimeout(id),
  };
}

/** Freezes a tab as Chromium does: the `freeze` event, then none of its timers run. */
function freeze(tab: SimTab, timers: { freeze(): void }): void {
  tab.document.dispatchEvent(new tab.window.Event('freeze') as unknown as Event);
  timers.freeze();
}

const phases = (...tabs: SimTab[]) => tabs.map((tab) => tab.handle.getPhase());

describe('hold()', () => {
  it('keeps the session alive with no input, far past the idle timeout, and never warns', async () => {
    const o = origin();
    const tab = await o.open();
    tab.handle.hold('upload');
    await o.clock.advance(6 * T);
    expect(phases(tab)).toEqual(['active']);
    expect(tab.named('warning')).toEqual([]);
    expect(await o.server.deadlineAt()).toBeDefined(); // the server still has the session
    // Keepalives as for continuous typing: spaced by the interval, not one per renewal.
    expect(o.server.count('/session/keepalive')).toBeGreaterThanOrEqual(6);
    expect(o.server.count('/session/keepalive')).toBeLessThanOrEqual(Math.ceil((6 * T) / 115_000) + 1);
  });

  it('a hold in tab A keeps tab B signed in (B leads and sends the keepalives)', async () => {
    const o = origin();
    const b = await o.open();
    const a = await o.open();
    a.setVisible(false);
    a.handle.hold('video call');
    await o.clock.advance(6 * T);
    expect(phases(a, b)).toEqual(['active', 'active']);
    expect([...a.named('warning'), ...b.named('warning')]).toEqual([]);
    expect(await o.server.deadlineAt()).toBeDefined(); // the server still has the session
  });

  it('the absolute lifetime still ends it: the warning shows as final, then signed out', async () => {
    const o = origin(undefined, { idleTimeoutMs: T, warningMs: W, absoluteTimeoutMs: 20 * MINUTE });
    const tab = await o.open({ signedOutUrl: '/bye' });
    tab.handle.hold('kiosk');
    await o.clock.advance(20 * MINUTE - W - 1);
    expect(phases(tab)).toEqual(['active']);
    const keepalives = o.server.count('/session/keepalive');
    await o.clock.advance(1);
    expect(phases(tab)).toEqual(['warning']);
    await o.clock.advance(W);
    expect(tab.signedOut).toEqual(['idle']);
    expect(o.server.count('/session/keepalive')).toBe(keepalives); // the hold asks for nothing it cannot get
  });

  it('after release the idle timeout counts from the release, as from the last input', async () => {
    const o = origin();
    const tab = await o.open();
    const release = tab.handle.hold('upload');
    await o.clock.advance(20 * MINUTE + 7_000);
    const releasedAt = o.clock.now;
    release();
    release(); // idempotent
    await o.clock.advance(T - W - 1);
    expect(phases(tab)).toEqual(['active']);
    await o.clock.advance(1);
    expect(phases(tab)).toEqual(['warning']);
    expect(tab.handle.getRemainingMs()).toBe(W);
    await o.clock.advance(W);
    expect(tab.signedOut).toEqual(['idle']);
    expect(o.clock.now).toBe(releasedAt + T);
  });

  it('a frozen holding tab (no code runs) stops renewing: its hold lapses within one lease', async () => {
    let timers!: ReturnType<typeof freezableTimers>;
    const { o, a, b, lastRenewalAt } = await holdingInA((o) => ({ timers: (timers = freezableTimers(o.clock)) }));
    freeze(a, timers);
    // The lease ran to lastRenewalAt + HOLD_LEASE_MS; that was the last input; the idle timeout counts from there.
    await o.clock.advance(lastRenewalAt + HOLD_LEASE_MS + T - 1 - o.clock.now);
    expect(phases(b)).toEqual(['warning']);
    await o.clock.advance(1);
    expect(b.signedOut).toEqual(['idle']);
  });

  it('a holding tab closed with no pagehide (crash, discard) lapses within one lease too', async () => {
    const { o, a, b } = await holdingInA();
    a.close();
    await o.clock.advance(HOLD_LEASE_MS + T);
    expect(b.signedOut).toEqual(['idle']);
  });

  // A closing page may never run the task its IndexedDB put needs (seen in Chromium): its release
  // also goes over the channel, and the tabs that stay write it.
  it.each([true, false])('a holding tab that goes away (pagehide, not into the cache) releases at once (its own write lands: %s)', async (lands) => {
    let gone = false;
    const { o, a, b } = await holdingInA((o) => ({
      storage: { read: () => o.store.read(), write: (patch) => (gone && !lands ? new Promise(() => {}) : o.store.write(patch as Patch)) },
    }));
    gone = true;
    const leftAt = o.clock.now;
    const pagehide = new a.window.Event('pagehide');
    Object.defineProperty(pagehide, 'persisted', { value: false });
    a.window.dispatchEvent(pagehide);
    a.close();
    await o.clock.advance(T - W - 1);
    expect(phases(b)).toEqual(['active']);
    await o.clock.advance(W + 1);
    expect(b.signedOut).toEqual(['idle']);
    expect(o.clock.now).toBe(leftAt + T);
  });

  it('a frozen tab renews nothing; once it runs again it renews at once and holds again', async () => {
    const o = origin(loggingStore(() => o.clock.now));
    const store = o.store as ReturnType<typeof loggingStore>;
    const tab = await o.open();
    tab.handle.hold('upload');
    tab.document.dispatchEvent(new tab.window.Event('freeze') as unknown as Event);
    await o.clock.advance(3 * HOLD_RENEW_MS);
    expect(store.holds).toHaveLength(1);
    tab.document.dispatchEvent(new tab.window.Event('resume') as unknown as Event);
    expect(store.holds.map(([at, patch]) => [at, patch])).toEqual([
      [T0, { kind: 'hold', tab: expect.any(String), reason: 'upload', at: T0, until: T0 + HOLD_LEASE_MS }],
      [o.clock.now, { kind: 'hold', tab: expect.any(String), reason: 'upload', at: o.clock.now, until: o.clock.now + HOLD_LEASE_MS }],
    ]);
  });

  it("Chrome's intensive throttling (a hidden tab's timers once a minute) does not end a live hold", async () => {
    const o = origin(loggingStore(() => o.clock.now));
    const store = o.store as ReturnType<typeof loggingStore>;
    // One tab, hidden and throttled: it holds, renews and sends the keepalives on minute boundaries.
    const tab = await o.open({ timers: throttledTimers(o.clock) });
    tab.setVisible(false);
    tab.handle.hold('upload');
    const notLiveAt: number[] = [];
    for (let elapsed = 0; elapsed < 30 * MINUTE; elapsed += 5_000) {
      await o.clock.advance(5_000);
      if (!holdAt((await o.store.read())?.holds, o.clock.now).live) notLiveAt.push(o.clock.now - T0);
    }
    expect(notLiveAt).toEqual([]); // the lease never ran out between two renewals
    expect(phases(tab)).toEqual(['active']);
    expect(tab.named('warning')).toEqual([]);
    expect(await o.server.deadlineAt()).toBeDefined(); // the server still has the session
    const times = store.holds.map(([at]) => at);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    expect(Math.max(...gaps)).toBeGreaterThan(MINUTE); // the renewals really were throttled
  });

  it('a hold taken during the warning closes it, as "stay signed in"', async () => {
    const o = origin();
    const tabs = [await o.open(), await o.open()];
    await o.clock.advance(T - W + 5_000);
    expect(phases(...tabs)).toEqual(['warning', 'warning']);
    const keepalives = o.server.count('/session/keepalive');
    tabs[1]!.handle.hold('upload');
    await o.clock.advance(1_000);
    expect(phases(...tabs)).toEqual(['active', 'active']);
    expect(o.server.count('/session/keepalive')).toBe(keepalives + 1); // one for the origin: the leader's
    expect(tabs[0]!.named('stay')).toHaveLength(1);
    await o.clock.advance(4 * T);
    expect(phases(...tabs)).toEqual(['active', 'active']);
  });

  // With no leader (no Web Locks), the one tab answers the warning itself after LEADER_GRACE_MS.
  it.each([true, false])('server unreachable until the warning: keepalives are retried through it, and the session is kept once it answers (leader: %s)', async (leads) => {
    const o = origin();
    const tabSync = (name: string, handlers: TabSyncHandlers) => o.hub.factory(name, { ...handlers, onLeadership: leads ? handlers.onLeadership : () => {} });
    const tab = await o.open({ tabSync });
    tab.handle.hold('upload');
    o.server.fault = 'down';
    await o.clock.advance(T - W + 1_000);
    expect(phases(tab)).toEqual(['warning']);
    o.server.fault = 'none';
    await o.clock.advance(40_000);
    expect(phases(tab)).toEqual(['active']);
    await o.clock.advance(3 * T);
    expect(phases(tab)).toEqual(['active']);
    expect(tab.signedOut).toEqual([]);
  });

  it('signOut() while held signs out every tab: a hold keeps the session from idling, never from ending', async () => {
    const o = origin();
    const [a, b] = [await o.open(), await o.open()];
    a.handle.hold('upload');
    await o.clock.advance(2 * T);
    b.handle.signOut();
    await o.clock.advance(1_000);
    expect([...a.signedOut, ...b.signedOut]).toEqual(['user', 'user']);
    expect(await o.server.deadlineAt()).toBeUndefined(); // the server ended the session
    await o.clock.advance(2 * HOLD_RENEW_MS);
    expect((await o.store.read())?.signedOutAt).toBeGreaterThan(0); // no renewal revives the record
  });

  it('hold() after the sign-out does nothing', async () => {
    const o = origin();
    const tab = await o.open();
    tab.handle.signOut();
    await o.clock.advance(1_000);
    const release = tab.handle.hold('late');
    const record = await o.store.read();
    expect(record?.holds).toBeUndefined();
    release();
  });
});
