import { DeadlineHeap } from './deadline-heap.ts';
import { integerAtLeast } from './option-checks.ts';
import { extendedIdleDeadline, isLive, sessionEndsAt } from './session.ts';
import {
  SessionStoreFullError,
  type ExpiredSession,
  type SessionRecord,
  type SessionStore,
} from './store.ts';

export interface MemorySessionStoreOptions {
  /**
   * Most sessions held at once. At the cap, `create` refuses (sign-in answers 503) instead of
   * evicting a live session. Default 100 000 (about 20 MB).
   */
  maxSessions?: number;
}

const DEFAULT_MAX_SESSIONS = 100_000;
// Column layout of the per-slot times, kept in one Float64Array rather than in an object per
// session: timestamps are not small integers, so object fields would each box a HeapNumber.
const CREATED = 0;
const IDLE = 1;
const ABSOLUTE = 2;
const COLUMNS = 3;

/**
 * The embedded store: one process, no dependencies. Sessions expire by themselves through one
 * deadline heap (no timer per session, no scans); the server's sweeper collects them with
 * `takeExpired`, which is O(log n) per ended session.
 *
 * @example
 * const idle = createIdleSession({ store: new MemorySessionStore({ maxSessions: 50_000 }) });
 */
export class MemorySessionStore implements SessionStore {
  readonly maxSessions: number;
  #slotOf = new Map<string, number>();
  #keyOf: (string | undefined)[] = [];
  #subjectOf: (string | undefined)[] = [];
  #dataOf = new Map<number, unknown>(); // only sessions that carry data
  #times = new Float64Array(1024 * COLUMNS);
  #freeSlots: number[] = [];
  #heap = new DeadlineHeap(1024);

  constructor(options: MemorySessionStoreOptions = {}) {
    this.maxSessions = integerAtLeast(1, 'MemorySessionStore', 'maxSessions', options.maxSessions ?? DEFAULT_MAX_SESSIONS);
  }

  /** Sessions held, including ended ones the sweeper has not collected yet. */
  get size(): number {
    return this.#slotOf.size;
  }

  async get(key: string, now: number): Promise<SessionRecord | undefined> {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return undefined;
    const record = this.#recordAt(slot);
    return isLive(record, now) ? record : undefined;
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    if (this.#slotOf.has(key)) throw new Error('MemorySessionStore: a session with this key exists');
    if (this.#slotOf.size >= this.maxSessions) {
      throw new SessionStoreFullError(`the memory store holds its cap of ${this.maxSessions} sessions`);
    }
    const slot = this.#freeSlots.pop() ?? this.#keyOf.length;
    this.#ensureCapacity(slot);
    this.#slotOf.set(key, slot);
    this.#keyOf[slot] = key;
    this.#subjectOf[slot] = record.subject;
    if (record.data !== undefined) this.#dataOf.set(slot, record.data);
    const base = slot * COLUMNS;
    this.#times[base + CREATED] = record.createdAt;
    this.#times[base + IDLE] = record.idleDeadlineAt;
    this.#times[base + ABSOLUTE] = record.absoluteDeadlineAt;
    this.#heap.push(slot, sessionEndsAt(record));
  }

  async extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionRecord | undefined> {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return undefined;
    const record = this.#recordAt(slot);
    const idleDeadlineAt = extendedIdleDeadline(record, proposedDeadlineAt, now);
    if (idleDeadlineAt === undefined) return undefined;
    record.idleDeadlineAt = idleDeadlineAt;
    // The heap entry is left at the old, earlier time: takeExpired reschedules it when it comes
    // due. Keepalives, the hot path, so do no heap work at all.
    this.#times[slot * COLUMNS + IDLE] = record.idleDeadlineAt;
    return record;
  }

  async delete(key: string): Promise<SessionRecord | undefined> {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return undefined;
    const record = this.#recordAt(slot);
    this.#heap.remove(slot);
    this.#release(key, slot);
    return record;
  }

  async takeExpired(now: number, limit: number): Promise<ExpiredSession[]> {
    const expired: ExpiredSession[] = [];
    while (expired.length < limit && this.#heap.peekDueAt() <= now) {
      const slot = this.#heap.peekSlot();
      const record = this.#recordAt(slot);
      const endsAt = sessionEndsAt(record);
      if (endsAt > now) {
        this.#heap.reschedule(slot, endsAt); // extended since it was scheduled
        continue;
      }
      const key = this.#keyOf[slot]!;
      this.#heap.remove(slot);
      this.#release(key, slot);
      expired.push({ key, record });
    }
    return expired;
  }

  #recordAt(slot: number): SessionRecord {
    const base = slot * COLUMNS;
    const record: SessionRecord = {
      subject: this.#subjectOf[slot]!,
      createdAt: this.#times[base + CREATED]!,
      idleDeadlineAt: this.#times[base + IDLE]!,
      absoluteDeadlineAt: this.#times[base + ABSOLUTE]!,
    };
    const data = this.#dataOf.get(slot);
    if (data !== undefined) record.data = data;
    return record;
  }

  #release(key: string, slot: number): void {
    this.#slotOf.delete(key);
    this.#keyOf[slot] = undefined;
    this.#subjectOf[slot] = undefined;
    this.#dataOf.delete(slot);
    this.#freeSlots.push(slot);
  }

  #ensureCapacity(slot: number): void {
    if ((slot + 1) * COLUMNS <= this.#times.length) return;
    const grown = new Float64Array(Math.max((slot + 1) * COLUMNS, this.#times.length * 2));
    grown.set(this.#times);
    this.#times = grown;
  }
}
