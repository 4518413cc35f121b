// The IndexedDB store (idb-keyval on fake-indexeddb): atomic patches from concurrent "tabs".
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbSharedStore, withMemoryFallback, type SharedStore } from './shared-state.ts';

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

describe('withMemoryFallback', () => {
  it('keeps working from memory, seeded with the last record, once the store fails', async () => {
    let broken = false;
    const inner = idbSharedStore('fallback');
    const flaky: SharedStore = {
      read: () => (broken ? Promise.reject(new Error('closed')) : inner.read()),
      write: (patch) => (broken ? Promise.reject(new Error('quota')) : inner.write(patch)),
    };
    const failures: unknown[] = [];
    const store = withMemoryFallback(flaky, (error) => failures.push(error));
    await store.write({ kind: 'activity', at: 1_000 });
    broken = true;
    const { record, applied } = await store.write({ kind: 'activity', at: 2_000 });
    expect(applied).toBe(true);
    expect(record.pendingSince).toBe(1_000); // continued from the last record seen
    expect((await store.read())?.lastActivityAt).toBe(2_000);
    expect(failures).toHaveLength(1);
  });
});
