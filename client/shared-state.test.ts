// The IndexedDB store (idb-keyval on fake-indexeddb): atomic patches from concurrent "tabs".
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbSharedStore, memorySharedStore, STORE_WAIT_BOUND_MS, withLocalView, type SharedStore } from './shared-state.ts';
import { emptyRecord, type Patch } from './core.ts';
import { FakeClock, settle } from './testing/clock.ts';
import { hangingStore } from './testing/stores.ts';

describe('idbSharedStore', () => {
  it('reads nothing at first, then what was written', async () => {
    const store = idbSharedStore('read-write');
    expect(await store.read()).toBeUndefined();
    const { record, applied } = await store.write({ kind: 'activity', at: 1_000 });
    expect(applied).toBe(true);
    expect(record.lastActivityAt).toBe(1_000);
    expect((await store.read())?.lastActivityAt).toBe(1_000);
  });

  it('applies concurrent patches from several tabs without losing any (one transaction each)', async () => {
    const tabs = [idbSharedStore('concurrent'), idbSharedStore('concurrent'), idbSharedStore('concurrent')];
    await Promise.all(
      tabs.flatMap((store, i) => [store.write({ kind: 'activity', at: 1_000 + i }), store.write({ kind: 'stay', at: 500 + i })]),
    );
    const record = await tabs[0]!.read();
    expect(record).toMatchObject({ lastActivityAt: 1_002, stayAt: 502 });
  });

  it('of many tabs claiming a keepalive at once, exactly one wins', async () => {
    const tabs = Array.from({ length: 6 }, () => idbSharedStore('claims'));
    const results = await Promise.all(tabs.map((store) => store.write({ kind: 'claim-keepalive', at: 10_000, minGapMs: 5_000 })));
    expect(results.filter((r) => r.applied)).toHaveLength(1);
  });

  it('ignores a stored value of another shape', async () => {
    const store = idbSharedStore('bad-shape', 'other-db');
    const { createStore, set } = await import('idb-keyval');
    await set('bad-shape', { v: 99 }, createStore('other-db', 'state'));
    expect(await store.read()).toBeUndefined();
  });
});

describe('idbSharedStore: a record the previous version wrote', () => {
  // Before the claim times were named for what they hold, they were `keepaliveSentAt` and (from
  // 0.1 on, optional) `checkSentAt`. Such a record can sit in IndexedDB across the upgrade.
  const previous = { ...emptyRecord(), keepaliveClaimedAt: undefined, checkClaimedAt: undefined, keepaliveSentAt: 7_000, checkSentAt: 8_000 };

  it('is read with its claim times under their new names', async () => {
    const { createStore, set } = await import('idb-keyval');
    await set('previous', previous, createStore('previous-db', 'state'));
    const record = await idbSharedStore('previous', 'previous-db').read();
    expect(record).toMatchObject({ keepaliveClaimedAt: 7_000, checkClaimedAt: 8_000 });
    expect(record).not.toHaveProperty('keepaliveSentAt');
  });

  it('a claim within the gap of the old claim is refused; a later one is stored under the new name', async () => {
    const { createStore, set } = await import('idb-keyval');
    await set('previous-claim', previous, createStore('previous-db', 'state'));
    const store = idbSharedStore('previous-claim', 'previous-db');
    expect(await store.write({ kind: 'claim-keepalive', at: 9_000, minGapMs: 5_000 })).toMatchObject({ applied: false });
    expect(await store.write({ kind: 'claim-keepalive', at: 12_000, minGapMs: 5_000 })).toMatchObject({ applied: true, record: { keepaliveClaimedAt: 12_000 } });
    expect(await store.read()).not.toHaveProperty('keepaliveSentAt');
  });
});

describe('idbSharedStore: suspend and resume (a frozen page)', () => {
  it('starts nothing while suspended and runs what waited (or was cut short) after resume', async () => {
    const store = idbSharedStore('suspend', 'suspend-db');
    await store.write({ kind: 'activity', at: 1_000 });
    const started = store.write({ kind: 'activity', at: 2_000 }); // its transaction starts after suspend()
    store.suspend!();
    const held = store.write({ kind: 'claim-keepalive', at: 5_000, minGapMs: 0 });
    let done = 0;
    void Promise.all([started, held]).then(() => done++);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(0);
    // Nothing of this tab holds the database meanwhile: another connection reads and writes at once.
    expect(await withTimeout(idbSharedStore('suspend', 'suspend-db').write({ kind: 'stay', at: 1_500 }))).toMatchObject({ applied: true });
    store.resume!();
    await Promise.all([started, held]);
    expect(await store.read()).toMatchObject({ lastActivityAt: 2_000, stayAt: 1_500, keepaliveClaimedAt: 5_000 });
  });

  it('after suspend, deleteDatabase is not blocked by this tab', async () => {
    const store = idbSharedStore('delete', 'delete-db');
    await store.write({ kind: 'activity', at: 1_000 });
    store.suspend!();
    const outcome = await new Promise<string>((resolve) => {
      const request = indexedDB.deleteDatabase('delete-db');
      request.onsuccess = () => resolve('deleted');
      request.onblocked = () => resolve('blocked');
    });
    expect(outcome).toBe('deleted');
  });
});

function withTimeout<T>(promise: Promise<T>, ms = 500): Promise<T | 'timed out'> {
  return Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);
}

describe('withLocalView', () => {
  it('answers from its own view once the bound passes, and says when the store caught up', async () => {
    const clock = new FakeClock();
    const hanging = Object.assign(hangingStore(), { hanging: true });
    let caughtUp = 0;
    const view = withLocalView(hanging, { timers: clock, onFailure: () => {}, onCaughtUp: () => caughtUp++ });
    const write = view.write({ kind: 'activity', at: 1_000 });
    await clock.advance(STORE_WAIT_BOUND_MS - 1);
    let answered = false;
    void write.then(() => (answered = true));
    await settle();
    expect(answered).toBe(false);
    await clock.advance(1);
    expect(await write).toMatchObject({ applied: true, record: { lastActivityAt: 1_000 } });
    const claim = view.write({ kind: 'claim-keepalive', at: 2_000, minGapMs: 500 });
    await clock.advance(STORE_WAIT_BOUND_MS);
    expect(await claim).toMatchObject({ applied: true, record: { lastActivityAt: 1_000, keepaliveClaimedAt: 2_000 } });
    expect(caughtUp).toBe(0);
    hanging.release();
    await settle();
    expect(caughtUp).toBe(1);
    expect(clock.pending.size).toBe(0);
    expect(await view.read()).toMatchObject({ lastActivityAt: 1_000, keepaliveClaimedAt: 2_000 });
  });

  it('takes the store\'s word while it answers in time (of two claims, one wins)', async () => {
    const clock = new FakeClock();
    const shared = memorySharedStore();
    const [a, b] = [0, 1].map(() => withLocalView(shared, { timers: clock, onFailure: () => {}, onCaughtUp: () => {} }));
    const results = await Promise.all([a!, b!].map((view) => view.write({ kind: 'claim-keepalive', at: 5_000, minGapMs: 1_000 })));
    expect(results.map((r) => r.applied).sort()).toEqual([false, true]);
  });

  it('learns another tab\'s patch without reading the store', async () => {
    const clock = new FakeClock();
    const view = withLocalView(Object.assign(hangingStore(), { hanging: true }), { timers: clock, onFailure: () => {}, onCaughtUp: () => {} });
    const signOut: Patch = { kind: 'sign-out', at: 3_000, reason: 'user' };
    expect(view.learn(signOut)).toMatchObject({ signedOutAt: 3_000, signedOutReason: 'user' });
    // A patch kind from a newer version of the SDK in another tab changes nothing.
    expect(view.learn({ kind: 'from-the-future', at: 4_000 } as unknown as Patch)).toMatchObject({ signedOutAt: 3_000 });
  });

  it('keeps working from its view, with every patch, once the store fails', async () => {
    const clock = new FakeClock();
    let broken = false;
    const inner = idbSharedStore('fallback');
    const flaky: SharedStore = {
      read: () => (broken ? Promise.reject(new Error('closed')) : inner.read()),
      write: (patch) => (broken ? Promise.reject(new Error('quota')) : inner.write(patch)),
    };
    const failures: unknown[] = [];
    const store = withLocalView(flaky, { timers: clock, onFailure: (error) => failures.push(error), onCaughtUp: () => {} });
    await store.write({ kind: 'activity', at: 1_000 });
    broken = true;
    const { record, applied } = await store.write({ kind: 'activity', at: 2_000 });
    expect(applied).toBe(true);
    expect(record?.pendingSince).toBe(1_000); // continued from the last record seen
    expect((await store.read())?.lastActivityAt).toBe(2_000);
    await store.write({ kind: 'stay', at: 3_000 });
    expect(await store.read()).toMatchObject({ lastActivityAt: 3_000, stayAt: 3_000 });
    expect(failures).toHaveLength(1);
  });
});
