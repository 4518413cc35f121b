import { describe, expect, it, vi } from 'vitest';
import { guardStore } from './guarded-store.ts';
import { MemorySessionStore } from './memory-store.ts';
import { SessionStoreFullError, SessionStoreUnavailableError, type SessionRecord, type SessionStore } from './store.ts';
import { describeSessionStoreContract } from './testing/store-contract.ts';
import { answeringEveryCall, forwardTo } from './testing/store-doubles.ts';

const quiet = { error: vi.fn() };
const guarded = (store: SessionStore, clock = () => 0) => guardStore(store, { timeLimitMs: 50, now: clock, logger: quiet });

describeSessionStoreContract('guardStore(MemorySessionStore)', async (options) => ({ store: guarded(new MemorySessionStore(options)) }));

const T0 = 1_700_000_000_000;
const record: SessionRecord = { subject: 'u', createdAt: T0, idleDeadlineAt: T0 + 1_000, absoluteDeadlineAt: T0 + 10_000 };

/** A store whose delete and takeExpired answer only when the test says. */
function heldStore() {
  const inner = new MemorySessionStore();
  const held: (() => void)[] = [];
  const later = <T>(call: () => Promise<T>) => new Promise<T>((resolve) => held.push(() => void call().then(resolve)));
  const store: SessionStore = {
    ...forwardTo(inner),
    delete: (key) => later(() => inner.delete(key)),
    takeExpired: (now, limit) => later(() => inner.takeExpired(now, limit)),
  };
  return { store, inner, release: () => held.splice(0).forEach((answer) => answer()) };
}

describe('guardStore', () => {
  it('turns any failure, thrown or rejected, into SessionStoreUnavailableError, and keeps SessionStoreFullError', async () => {
    const failing = (error: unknown, sync = false): SessionStore => {
      const fail = () => (sync ? (() => { throw error; })() : Promise.reject(error));
      return answeringEveryCall(fail as () => Promise<never>);
    };
    await expect(guarded(failing(new Error('ECONNREFUSED'))).get('k', T0)).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(guarded(failing(new Error('client is closed'), true)).extend('k', T0, T0)).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(guarded(failing(new SessionStoreFullError('full'))).create('k', record)).rejects.toBeInstanceOf(SessionStoreFullError);
  });

  it('fails a call that has not answered within the bound, then, not later', async () => {
    const hanging = new Promise<never>(() => {});
    const store = guarded(answeringEveryCall(() => hanging));
    const started = Date.now();
    await expect(store.get('k', T0)).rejects.toThrow(/did not answer within 50 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('sets no timer for a store that settles in process, and still turns its failures into store errors', async () => {
    vi.useFakeTimers();
    try {
      const memory = guarded(new MemorySessionStore());
      await memory.create('k', record);
      await expect(memory.extend('k', T0 + 2_000, T0)).resolves.toMatchObject({ idleDeadlineAt: T0 + 2_000 });
      expect(vi.getTimerCount()).toBe(0);
      // The same store behind a plain forwarder (it no longer says it settles in process) is bounded.
      await guarded(forwardTo(new MemorySessionStore())).get('k', T0);
      expect(vi.getTimerCount()).toBe(1);
      const failing = { ...answeringEveryCall(() => Promise.reject(new Error('a bug'))), settlesInProcess: true };
      await expect(guarded(failing).get('k', T0)).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs an outage once per window of its clock', async () => {
    quiet.error.mockReset();
    let clock = 0;
    const failing = () => Promise.reject(new Error('ECONNREFUSED'));
    const store = guarded(answeringEveryCall(failing), () => clock);
    for (let i = 0; i < 5; i++) await store.get('k', T0).catch(() => {});
    expect(quiet.error).toHaveBeenCalledTimes(1);
    clock += 10_000;
    await store.get('k', T0).catch(() => {});
    expect(quiet.error).toHaveBeenCalledTimes(2);
  });

  it('hands what a delete removes after the bound to onLate, and refuses a claim while the last one is unanswered', async () => {
    const { store, inner, release } = heldStore();
    const guardedStore = guarded(store);
    await inner.create('a', record);
    await inner.create('b', record);
    const late: unknown[] = [];
    await expect(guardedStore.delete('a', (removed) => late.push(removed))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(guardedStore.takeExpired(T0 + 1_000, 10, (claimed) => late.push(claimed.map((e) => e.key)))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(guardedStore.takeExpired(T0 + 1_000, 10)).rejects.toThrow(/has not answered the previous expiry claim/);
    release();
    await vi.waitFor(() => expect(late).toEqual([record, ['b']]));
    const next = guardedStore.takeExpired(T0 + 1_000, 10); // answered: claims go again
    release();
    expect(await next).toEqual([]);
  });
});
