// The contract every SessionStore must keep, as one suite that runs unchanged against each store
// (memory and Redis). Call it from a store's test file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveRecord, SessionStoreFullError, type SessionLookupResult, type SessionRecord, type SessionStore } from '../store.ts';
import { extendedIdleDeadline } from '../session.ts';
import { DEADLINE_CASES, T0 } from './deadline-rule.ts';

export interface StoreUnderTest {
  store: SessionStore;
  /** Called after each test: drop keys, close clients. */
  cleanup?: () => Promise<void>;
}

const IDLE = 300_000;
const ABSOLUTE = 43_200_000;

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { subject: 'alice', createdAt: T0, idleDeadlineAt: T0 + IDLE, absoluteDeadlineAt: T0 + ABSOLUTE, ...overrides };
}

let keyCounter = 0;
function freshKey(): string {
  keyCounter += 1;
  return `k${keyCounter.toString().padStart(42, '0')}`;
}

/**
 * What `get` and `extend` answer at `now` for a key that holds no live session (the removal mark,
 * or undefined); both must answer the same, and neither may revive it.
 */
async function missOf(store: SessionStore, key: string, now: number): Promise<SessionLookupResult> {
  const viaGet = await store.get(key, now);
  expect(await store.extend(key, now + IDLE, now), 'extend answers what get does').toEqual(viaGet);
  expect(await store.get(key, now), 'extend revived nothing').toEqual(viaGet);
  return viaGet;
}

/** The one store option the contract varies: its global cap. */
export interface ContractStoreOptions {
  maxSessions?: number;
}

/**
 * Defines the SessionStore contract suite for one store (Vitest's describe/it/expect): shipped as
 * `idle-logout/server/testing`, so that a third-party store runs the same suite as ours.
 * `makeStore` gets the options a case needs (a cap) and makes a fresh, empty store.
 *
 * @example
 * import { describeSessionStoreContract } from 'idle-logout/server/testing';
 * describeSessionStoreContract('MyStore', async (options) => ({ store: new MyStore(options), cleanup: () => db.flush() }));
 */
export function describeSessionStoreContract(name: string, makeStore: (options?: ContractStoreOptions) => Promise<StoreUnderTest>): void {
  describe(`${name}: SessionStore contract`, () => {
    let subject: StoreUnderTest;
    let store: SessionStore;
    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup?.();
    });

    it('gives back what was created, data included, and nothing for unknown keys', async () => {
      const key = freshKey();
      await store.create(key, record({ data: { role: 'admin', n: 1 } }));
      expect(await store.get(key, T0 + 1)).toEqual(record({ data: { role: 'admin', n: 1 } }));
      expect(await store.get(freshKey(), T0 + 1)).toBeUndefined();
    });

    it('get never extends and hides sessions past either deadline', async () => {
      const key = freshKey();
      await store.create(key, record());
      for (let i = 0; i < 3; i++) await store.get(key, T0 + IDLE - 1);
      expect(liveRecord(await store.get(key, T0 + IDLE - 1))?.idleDeadlineAt).toBe(T0 + IDLE);
      expect(await store.get(key, T0 + IDLE)).toBeUndefined();

      const capped = freshKey();
      await store.create(capped, record({ idleDeadlineAt: T0 + 10_000, absoluteDeadlineAt: T0 + 5_000 }));
      expect(await store.get(capped, T0 + 5_000)).toBeUndefined();
    });

    // The deadline rule, case by case (server/testing/deadline-rule.ts): what extend answers, and
    // what the store holds afterwards. Each store must also agree with session.ts's statement of
    // the rule, so that a change there that a store's own copy (Lua) lacks fails that store too.
    it.each(DEADLINE_CASES)('the deadline rule: $name', async ({ session, proposedDeadlineAt, now, expected }) => {
      const key = freshKey();
      const before = session && record({ idleDeadlineAt: T0 + session.idleDeadlineAt, absoluteDeadlineAt: T0 + session.absoluteDeadlineAt });
      if (before) await store.create(key, before);
      const extended = await store.extend(key, T0 + proposedDeadlineAt, T0 + now);
      expect(liveRecord(extended)?.idleDeadlineAt, 'the store agrees with session.ts extendedIdleDeadline').toBe(
        before && extendedIdleDeadline(before, T0 + proposedDeadlineAt, T0 + now),
      );
      if (expected === 'not-live') {
        expect(extended).toBeUndefined();
        // Untouched: still there at an earlier time with its old deadline, if it ever existed.
        expect(await store.get(key, T0)).toEqual(before);
      } else {
        expect(extended).toEqual({ ...before, idleDeadlineAt: T0 + expected });
        expect(await store.get(key, T0 + now)).toEqual({ ...before, idleDeadlineAt: T0 + expected });
      }
    });

    it('extend moves the deadline later, never earlier, never past the absolute deadline', async () => {
      const key = freshKey();
      await store.create(key, record({ absoluteDeadlineAt: T0 + 400_000 }));
      expect(liveRecord(await store.extend(key, T0 + 350_000, T0 + 50_000))?.idleDeadlineAt).toBe(T0 + 350_000);
      expect(liveRecord(await store.extend(key, T0 + 320_000, T0 + 60_000))?.idleDeadlineAt).toBe(T0 + 350_000);
      expect(liveRecord(await store.extend(key, T0 + 900_000, T0 + 70_000))?.idleDeadlineAt).toBe(T0 + 400_000);
      expect(liveRecord(await store.get(key, T0 + 399_999))?.idleDeadlineAt).toBe(T0 + 400_000);
    });

    it('extend never creates or revives a session', async () => {
      expect(await store.extend(freshKey(), T0 + IDLE, T0)).toBeUndefined();
      const expired = freshKey();
      await store.create(expired, record());
      expect(await store.extend(expired, T0 + 2 * IDLE, T0 + IDLE)).toBeUndefined();
      expect(await store.get(expired, T0 + IDLE - 1)).toBeDefined(); // untouched, still ends at T0+IDLE
      expect(await store.get(expired, T0 + IDLE)).toBeUndefined();
      const deleted = freshKey();
      await store.create(deleted, record());
      await store.delete(deleted);
      expect(await store.extend(deleted, T0 + IDLE, T0 + 1)).toBeUndefined();
      expect(await store.get(deleted, T0 + 1)).toBeUndefined();
    });

    it('a keepalive that arrives after the session was claimed never revives it', async () => {
      const key = freshKey();
      await store.create(key, record());
      expect((await store.takeExpired(T0 + IDLE, 10)).map((e) => e.key)).toEqual([key]);
      // Sent while the session was live, received after the sweeper ended it.
      expect(await store.extend(key, T0 + 2 * IDLE - 1, T0 + IDLE - 1)).toBeUndefined();
      expect(await store.get(key, T0 + IDLE - 1)).toBeUndefined();
      expect(await store.takeExpired(T0 + 3 * IDLE, 10)).toEqual([]);
    });

    it('delete hands the record to exactly one caller', async () => {
      const key = freshKey();
      await store.create(key, record());
      const results = await Promise.all([store.delete(key), store.delete(key), store.delete(key)]);
      expect(results.filter((r) => r !== undefined)).toEqual([record()]);
    });

    it('logout wins a race with 200 concurrent keepalives', async () => {
      const key = freshKey();
      await store.create(key, record());
      const keepalives = Array.from({ length: 200 }, (_, i) => store.extend(key, T0 + IDLE + i, T0 + i));
      const logout = store.delete(key);
      const more = Array.from({ length: 200 }, (_, i) => store.extend(key, T0 + IDLE + 500 + i, T0 + 500 + i));
      await Promise.all([...keepalives, logout, ...more]);
      expect(await logout).toBeDefined();
      expect(await store.get(key, T0 + 1_000)).toBeUndefined();
      expect(await store.extend(key, T0 + 2 * IDLE, T0 + 1_000)).toBeUndefined();
      expect(await store.takeExpired(T0 + ABSOLUTE, 10_000).then((all) => all.filter((e) => e.key === key))).toEqual([]);
    });

    it('takeExpired hands out each ended session once, oldest first, up to the limit', async () => {
      const keys = [freshKey(), freshKey(), freshKey(), freshKey()];
      await store.create(keys[0]!, record({ idleDeadlineAt: T0 + 1_000 }));
      await store.create(keys[1]!, record({ idleDeadlineAt: T0 + 2_000 }));
      await store.create(keys[2]!, record({ idleDeadlineAt: T0 + 3_000, absoluteDeadlineAt: T0 + 2_500 }));
      await store.create(keys[3]!, record({ idleDeadlineAt: T0 + 9_000 }));
      const first = await store.takeExpired(T0 + 2_600, 2);
      expect(first.map((e) => e.key)).toEqual([keys[0], keys[1]]);
      const second = await store.takeExpired(T0 + 2_600, 10);
      expect(second.map((e) => e.key)).toEqual([keys[2]]);
      expect(second[0]!.record.absoluteDeadlineAt).toBe(T0 + 2_500);
      expect(await store.takeExpired(T0 + 2_600, 10)).toEqual([]);
      expect(await store.get(keys[0]!, T0)).toBeUndefined(); // gone for good, even at an earlier time
      expect(await store.get(keys[3]!, T0 + 2_600)).toBeDefined();
    });

    it('takeExpired follows extended deadlines and skips deleted sessions', async () => {
      const extended = freshKey();
      const deleted = freshKey();
      await store.create(extended, record({ idleDeadlineAt: T0 + 1_000 }));
      await store.create(deleted, record({ idleDeadlineAt: T0 + 1_000 }));
      await store.extend(extended, T0 + 5_000, T0 + 500);
      await store.delete(deleted);
      expect(await store.takeExpired(T0 + 4_999, 10)).toEqual([]);
      const later = await store.takeExpired(T0 + 5_000, 10);
      expect(later.map((e) => e.key)).toEqual([extended]);
      expect(later[0]!.record.idleDeadlineAt).toBe(T0 + 5_000);
    });

    // The per-subject index: kept with every create, delete, expiry claim and revoke, in the same
    // atomic step, so a list never shows a session that is gone and never misses a live one.
    describe('sessions by subject', () => {
      const keysOf = (sessions: { key: string }[]) => sessions.map((s) => s.key);

      it('lists the live sessions of one subject, oldest first, with data and display', async () => {
        const [first, second, other] = [freshKey(), freshKey(), freshKey()];
        const display = { device: 'Firefox on Linux' };
        await store.create(second, record({ createdAt: T0 + 2, data: { role: 'admin' }, display }));
        await store.create(first, record({ createdAt: T0 + 1 }));
        await store.create(other, record({ subject: 'bob' }));
        const listed = await store.listSubject('alice', T0 + 10);
        expect(keysOf(listed)).toEqual([first, second]);
        expect(listed[1]!.record).toEqual(record({ createdAt: T0 + 2, data: { role: 'admin' }, display }));
        expect(keysOf(await store.listSubject('bob', T0 + 10))).toEqual([other]);
        expect(await store.listSubject('nobody', T0 + 10)).toEqual([]);
      });

      it('leaves out ended sessions, and drops sessions deleted or claimed by the sweeper', async () => {
        const [live, deleted, ended] = [freshKey(), freshKey(), freshKey()];
        await store.create(live, record({ createdAt: T0 + 1 }));
        await store.create(deleted, record({ createdAt: T0 + 2 }));
        await store.create(ended, record({ createdAt: T0 + 3, idleDeadlineAt: T0 + 1_000 }));
        await store.delete(deleted);
        expect(keysOf(await store.listSubject('alice', T0 + 1_000))).toEqual([live]);
        expect(keysOf(await store.listSubject('alice', T0 + 999))).toEqual([live, ended]);
        expect(keysOf(await store.takeExpired(T0 + 1_000, 10))).toEqual([ended]);
        // Claimed: gone from the index even when asked at an earlier time.
        expect(keysOf(await store.listSubject('alice', T0 + 999))).toEqual([live]);
        // A later sign-in past a limit of 1 replaces only the live one: nothing left over to count.
        const next = freshKey();
        expect(keysOf(await store.create(next, record({ createdAt: T0 + 2_000 }), 1))).toEqual([live]);
        expect(keysOf(await store.listSubject('alice', T0 + 2_000))).toEqual([next]);
      });

      it('a sign-in past maxPerSubject replaces that subject’s oldest, marked replaced, and no one else’s', async () => {
        const keys = [freshKey(), freshKey(), freshKey()];
        const bob = freshKey();
        await store.create(bob, record({ subject: 'bob' }));
        for (const [i, key] of keys.entries()) expect(await store.create(key, record({ createdAt: T0 + i }), 2)).toEqual(i < 2 ? [] : [{ key: keys[0], record: record({ createdAt: T0 }) }]);
        expect(keysOf(await store.listSubject('alice', T0 + 10))).toEqual([keys[1], keys[2]]);
        // get and extend answer the mark with the miss, so a signed-out answer can say why.
        expect(await missOf(store, keys[0]!, T0 + 10)).toEqual({ endedBy: 'replaced' });
        // A limit lowered to 1 removes as many as it takes.
        const last = freshKey();
        expect(keysOf(await store.create(last, record({ createdAt: T0 + 5 }), 1))).toEqual([keys[1], keys[2]]);
        expect(keysOf(await store.listSubject('alice', T0 + 10))).toEqual([last]);
        expect(keysOf(await store.listSubject('bob', T0 + 10))).toEqual([bob]);
        // Replaced sessions are never handed out again by the sweeper.
        expect(keysOf(await store.takeExpired(T0 + ABSOLUTE, 100)).filter((k) => keys.includes(k))).toEqual([]);
      });

      it('at its cap the store still lets a subject at its limit sign in, refusing only a new subject, and then removes nothing', async () => {
        await subject.cleanup?.();
        subject = await makeStore({ maxSessions: 2 });
        store = subject.store;
        const [a1, a2, a3, b1] = [freshKey(), freshKey(), freshKey(), freshKey()];
        await store.create(a1, record({ createdAt: T0 + 1 }), 2);
        await store.create(a2, record({ createdAt: T0 + 2 }), 2);
        expect(keysOf(await store.create(a3, record({ createdAt: T0 + 3 }), 2))).toEqual([a1]);
        await expect(store.create(b1, record({ subject: 'bob' }), 2)).rejects.toBeInstanceOf(SessionStoreFullError);
        expect(keysOf(await store.listSubject('alice', T0 + 10))).toEqual([a2, a3]);
        expect(await store.listSubject('bob', T0 + 10)).toEqual([]);
      });

      it('revoke ends all, all but some, or only some of one subject’s sessions, marked revoked, and never another subject’s', async () => {
        const [a1, a2, a3, a4, b1] = [freshKey(), freshKey(), freshKey(), freshKey(), freshKey()];
        for (const [i, key] of [a1, a2, a3, a4].entries()) await store.create(key, record({ createdAt: T0 + i }));
        await store.create(b1, record({ subject: 'bob' }));
        expect(await store.revoke('alice', { keys: [a2, b1] }, T0 + 10)).toEqual([{ key: a2, record: record({ createdAt: T0 + 1 }) }]);
        expect(await store.get(b1, T0 + 10)).toBeDefined();
        expect(keysOf(await store.revoke('alice', { exceptKeys: [a3] }, T0 + 10))).toEqual([a1, a4]);
        expect(keysOf(await store.listSubject('alice', T0 + 10))).toEqual([a3]);
        for (const key of [a1, a2, a4]) expect(await missOf(store, key, T0 + 10)).toEqual({ endedBy: 'revoked' });
        expect(keysOf(await store.revoke('alice', {}, T0 + 10))).toEqual([a3]);
        expect(await store.revoke('alice', {}, T0 + 10)).toEqual([]);
        expect(keysOf(await store.listSubject('bob', T0 + 10))).toEqual([b1]);
        expect(keysOf(await store.takeExpired(T0 + ABSOLUTE, 100)).filter((k) => k !== b1)).toEqual([]);
      });

      it('revoke hands over ended, uncollected sessions too (so their end is reported), without a mark', async () => {
        const ended = freshKey();
        await store.create(ended, record({ idleDeadlineAt: T0 + 1_000 }));
        expect(keysOf(await store.revoke('alice', {}, T0 + 1_000))).toEqual([ended]);
        expect(await missOf(store, ended, T0 + 1_000)).toBeUndefined();
        expect(await store.takeExpired(T0 + 1_000, 10)).toEqual([]);
      });

      it('sign-ins racing an end-all leave the index exact: it lists exactly the sessions that still exist', async () => {
        const keys = Array.from({ length: 6 }, () => freshKey());
        await store.create(keys[0]!, record());
        await Promise.all([
          ...keys.slice(1).map((key, i) => store.create(key, record({ createdAt: T0 + i + 1 }))),
          store.revoke('alice', {}, T0 + 10),
          store.revoke('alice', {}, T0 + 10),
        ]);
        const existing = [];
        for (const key of keys) if (liveRecord(await store.get(key, T0 + 10))) existing.push(key);
        expect(keysOf(await store.listSubject('alice', T0 + 10)).sort()).toEqual(existing.sort());
        expect(keysOf(await store.revoke('alice', {}, T0 + 10)).sort()).toEqual(existing.sort());
        expect(await store.listSubject('alice', T0 + 10)).toEqual([]);
      });

      it('concurrent revokes hand each session to exactly one caller', async () => {
        const keys = [freshKey(), freshKey(), freshKey()];
        for (const key of keys) await store.create(key, record());
        const results = await Promise.all([store.revoke('alice', {}, T0 + 1), store.revoke('alice', {}, T0 + 1), store.delete(keys[0]!)]);
        const handedOut = [...keysOf(results[0]), ...keysOf(results[1]), ...(results[2] ? [keys[0]!] : [])];
        expect(handedOut.sort()).toEqual([...keys].sort());
      });

      it('a mark lasts until the session would have ended by itself, and a sign-out leaves none', async () => {
        const [revoked, signedOut] = [freshKey(), freshKey()];
        await store.create(revoked, record({ idleDeadlineAt: T0 + 5_000 }));
        await store.create(signedOut, record());
        await store.delete(signedOut);
        await store.revoke('alice', { keys: [revoked] }, T0 + 1_000);
        expect(await missOf(store, revoked, T0 + 4_999)).toEqual({ endedBy: 'revoked' });
        expect(await missOf(store, signedOut, T0 + 1_000)).toBeUndefined();
        expect(await missOf(store, freshKey(), T0 + 1_000)).toBeUndefined();
      });

      it('update replaces the data of a live session only, never extending or reviving it', async () => {
        const [key, ended] = [freshKey(), freshKey()];
        await store.create(key, record({ data: { role: 'reader' }, display: { device: 'phone' } }));
        await store.create(ended, record({ idleDeadlineAt: T0 + 1_000 }));
        expect(await store.update(key, { role: 'admin', stepUpAt: T0 + 5 }, T0 + 5)).toEqual(
          record({ data: { role: 'admin', stepUpAt: T0 + 5 }, display: { device: 'phone' } }),
        );
        expect(liveRecord(await store.get(key, T0 + 6))?.data).toEqual({ role: 'admin', stepUpAt: T0 + 5 });
        expect(await store.update(key, undefined, T0 + 7)).toEqual(record({ display: { device: 'phone' } }));
        expect(await store.update(ended, { role: 'admin' }, T0 + 1_000)).toBeUndefined();
        expect(await store.get(ended, T0)).toEqual(record({ idleDeadlineAt: T0 + 1_000 }));
        expect(await store.update(freshKey(), { role: 'admin' }, T0)).toBeUndefined();
      });
    });
  });
}
