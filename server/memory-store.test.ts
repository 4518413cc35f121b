import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from './memory-store.ts';
import { liveRecord, SessionStoreFullError, type SessionRecord } from './store.ts';
import { describeSessionStoreContract } from './testing/store-contract.ts';

describeSessionStoreContract('MemorySessionStore', async (options) => ({ store: new MemorySessionStore(options) }));

const T0 = 1_700_000_000_000;
const record = (idleDeadlineAt = T0 + 1_000): SessionRecord => ({
  subject: 'u',
  createdAt: T0,
  idleDeadlineAt,
  absoluteDeadlineAt: T0 + 10_000,
});

describe('MemorySessionStore', () => {
  it('refuses new sessions at its cap instead of evicting live ones', async () => {
    const store = new MemorySessionStore({ maxSessions: 2 });
    await store.create('a', record());
    await store.create('b', record());
    await expect(store.create('c', record())).rejects.toBeInstanceOf(SessionStoreFullError);
    expect(await store.get('a', T0)).toBeDefined();
    expect(await store.get('b', T0)).toBeDefined();
    await store.delete('a');
    await store.create('c', record());
    expect(store.size).toBe(2);
  });

  it('counts ended but uncollected sessions against the cap until takeExpired collects them', async () => {
    const store = new MemorySessionStore({ maxSessions: 1 });
    await store.create('a', record(T0 + 1_000));
    await expect(store.create('b', record())).rejects.toBeInstanceOf(SessionStoreFullError);
    expect((await store.takeExpired(T0 + 1_000, 10)).map((e) => e.key)).toEqual(['a']);
    await store.create('b', record(T0 + 5_000));
    expect(await store.get('b', T0 + 1_000)).toBeDefined();
  });

  it('reuses freed slots without mixing up sessions', async () => {
    const store = new MemorySessionStore();
    for (let i = 0; i < 2_000; i++) await store.create(`s${i}`, { ...record(T0 + 1_000 + i), subject: `user${i}` });
    for (let i = 0; i < 2_000; i += 2) await store.delete(`s${i}`);
    for (let i = 0; i < 1_000; i++) await store.create(`t${i}`, { ...record(T0 + 5_000 + i), subject: `new${i}` });
    expect(liveRecord(await store.get('s1', T0))?.subject).toBe('user1');
    expect(liveRecord(await store.get('t999', T0))?.subject).toBe('new999');
    const ended = await store.takeExpired(T0 + 4_000, 10_000);
    expect(ended).toHaveLength(1_000);
    expect(ended.every((e) => e.key.startsWith('s') && Number(e.key.slice(1)) % 2 === 1)).toBe(true);
    expect(store.size).toBe(1_000);
  });

  it('forgets the mark of a removed session once it has run out', async () => {
    const store = new MemorySessionStore();
    await store.create('a', record(T0 + 1_000));
    await store.revoke('u', {}, T0);
    expect(await store.get('a', T0 + 999)).toEqual({ endedBy: 'revoked' });
    await store.create('b', record(T0 + 5_000));
    await store.revoke('u', {}, T0 + 1_000); // a's mark has run out by now
    expect(await store.get('a', T0)).toBeUndefined(); // forgotten, even asked at an earlier time
    expect(await store.extend('b', T0 + 9_000, T0 + 1_000)).toEqual({ endedBy: 'revoked' });
  });

  it('keeps at most maxSessions marks, dropping the oldest', async () => {
    const store = new MemorySessionStore({ maxSessions: 3 });
    for (const key of ['b', 'c', 'd', 'e']) {
      await store.create(key, record(T0 + 5_000));
      await store.revoke('u', {}, T0);
    }
    expect(await Promise.all(['b', 'c', 'd', 'e'].map((key) => store.get(key, T0)))).toEqual([undefined, { endedBy: 'revoked' }, { endedBy: 'revoked' }, { endedBy: 'revoked' }]);
  });

  it('rejects a cap that is not a positive integer, saying what to change', () => {
    expect(() => new MemorySessionStore({ maxSessions: 0 })).toThrow(/maxSessions must be a positive integer/);
  });
});
