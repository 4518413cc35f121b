// The contract every SessionStore must keep, as one suite that runs unchanged against each store
// (memory and Redis). Call it from a store's test file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord, SessionStore } from '../store.ts';
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
 * Defines the SessionStore contract suite for one store (Vitest's describe/it/expect): shipped as
 * `idle-logout/server/testing`, so that a third-party store runs the same suite as ours.
 *
 * @example
 * import { describeSessionStoreContract } from 'idle-logout/server/testing';
 * describeSessionStoreContract('MyStore', async () => ({ store: new MyStore(), cleanup: () => db.flush() }));
 */
export function describeSessionStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
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
      expect((await store.get(key, T0 + IDLE - 1))?.idleDeadlineAt).toBe(T0 + IDLE);
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
      expect(extended?.idleDeadlineAt, 'the store agrees with session.ts extendedIdleDeadline').toBe(
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
      expect((await store.extend(key, T0 + 350_000, T0 + 50_000))?.idleDeadlineAt).toBe(T0 + 350_000);
      expect((await store.extend(key, T0 + 320_000, T0 + 60_000))?.idleDeadlineAt).toBe(T0 + 350_000);
      expect((await store.extend(key, T0 + 900_000, T0 + 70_000))?.idleDeadlineAt).toBe(T0 + 400_000);
      expect((await store.get(key, T0 + 399_999))?.idleDeadlineAt).toBe(T0 + 400_000);
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
  });
}
