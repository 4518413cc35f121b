// @vitest-environment node
// The handle's subscribe/getSnapshot pair, on simulated tabs (client/testing/tabs.ts): what a UI reads, and
// the rule useSyncExternalStore depends on — the same object until something in it changes.
import { afterEach, describe, expect, it } from 'vitest';
import { createExternalStore, NOT_STARTED } from './external-store.ts';
import { settle } from './testing/clock.ts';
import { SimOrigin } from './testing/tabs.ts';

const T = 300_000;
const W = 60_000;

const opened: SimOrigin[] = [];
const origin = (...args: ConstructorParameters<typeof SimOrigin>): SimOrigin => opened[opened.push(new SimOrigin(...args)) - 1]!;
afterEach(() => opened.splice(0).forEach((o) => o.closeAll()));

/** Every snapshot a subscriber saw, read at notification time as useSyncExternalStore does. */
function record(handle: { subscribe(l: () => void): () => void; getSnapshot(): unknown }): { seen: unknown[]; unsubscribe: () => void } {
  const seen: unknown[] = [];
  const unsubscribe = handle.subscribe(() => seen.push(handle.getSnapshot()));
  return { seen, unsubscribe };
}

describe('getSnapshot', () => {
  it('is the same frozen object on every call until something in it changes', async () => {
    const o = origin();
    const { handle } = await o.open();
    const first = handle.getSnapshot();
    expect(first).toEqual({ phase: 'active', remainingMs: T, reachable: true, signedOutReason: null });
    expect(Object.isFrozen(first)).toBe(true);
    expect(handle.getSnapshot()).toBe(first);
    // Time passes in the active phase: nothing a UI shows changed, so no new object.
    await o.clock.advance(10_000);
    expect(handle.getSnapshot()).toBe(first);
    await o.clock.advance(T - W - 10_000);
    const warning = handle.getSnapshot();
    expect(warning).not.toBe(first);
    expect(warning).toMatchObject({ phase: 'warning', remainingMs: W });
    expect(handle.getSnapshot()).toBe(warning);
  });

  it('rounds the remaining time up to the whole second, as the countdown shows it', async () => {
    const o = origin(undefined, { idleTimeoutMs: T + 400, warningMs: W });
    const { handle } = await o.open();
    expect(handle.getRemainingMs()).toBe(T + 400);
    expect(handle.getSnapshot().remainingMs).toBe(T + 1_000);
  });

  it('counts down once a second during the warning, one notification per change', async () => {
    const o = origin();
    const { handle } = await o.open();
    const { seen } = record(handle);
    await o.clock.advance(T - W);
    await o.clock.advance(3_000);
    expect(seen.map((s) => (s as { remainingMs: number }).remainingMs)).toEqual([W, 59_000, 58_000, 57_000]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('"stay" in another tab ends the warning here; a sign-out elsewhere gives its reason', async () => {
    const o = origin();
    const [a, b] = [await o.open(), await o.open()];
    await o.clock.advance(T - W + 5_000);
    expect(a.handle.getSnapshot().phase).toBe('warning');
    b.handle.staySignedIn();
    await settle();
    expect(a.handle.getSnapshot()).toEqual({ phase: 'active', remainingMs: T, reachable: true, signedOutReason: null });
    b.handle.signOut();
    await settle();
    expect(a.handle.getSnapshot()).toEqual({ phase: 'signed-out', remainingMs: 0, reachable: true, signedOutReason: 'user' });
  });

  it('says when the server cannot be reached, and when it answers again', async () => {
    const o = origin();
    const { handle } = await o.open();
    o.server.fault = 'down';
    await o.clock.advance(T - W);
    handle.staySignedIn();
    await settle();
    expect(handle.getSnapshot()).toMatchObject({ phase: 'warning', reachable: false });
    o.server.fault = 'none';
    await o.clock.advance(10_000);
    expect(handle.getSnapshot()).toMatchObject({ phase: 'active', reachable: true });
  });

  it('reads "stopped" after stop(), which emits nothing', async () => {
    const o = origin();
    const { handle } = await o.open();
    handle.stop();
    expect(handle.getSnapshot()).toEqual({ phase: 'stopped', remainingMs: null, reachable: true, signedOutReason: null });
    expect(handle.getSnapshot()).toBe(handle.getSnapshot());
  });
});

describe('subscribe', () => {
  it('stops calling a listener once it unsubscribes; other listeners go on', async () => {
    const o = origin();
    const { handle } = await o.open();
    const first = record(handle);
    const second = record(handle);
    await o.clock.advance(T - W);
    first.unsubscribe();
    await o.clock.advance(2_000);
    expect(first.seen).toHaveLength(1);
    expect(second.seen).toHaveLength(3);
  });

  it('does not notify when an event changes nothing a UI shows', () => {
    const listeners = new Map<string, (detail: { remainingMs?: number }) => void>();
    const handle = {
      on: (event: string, listener: (detail: { remainingMs?: number }) => void) => (listeners.set(event, listener), () => {}),
      getPhase: () => 'active' as const,
      getRemainingMs: () => 120_000,
    };
    const store = createExternalStore(handle as never);
    expect(store.getSnapshot()).not.toBe(NOT_STARTED);
    const { seen } = record(store);
    listeners.get('keepalive')!({ remainingMs: 119_600 }); // shows as 2:00, as before
    expect(seen).toEqual([]);
    listeners.get('keepalive')!({ remainingMs: 118_900 });
    expect(seen).toEqual([{ phase: 'active', remainingMs: 119_000, reachable: true, signedOutReason: null }]);
  });
});
