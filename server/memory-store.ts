import { DeadlineHeap } from './deadline-heap.ts';
import { integerAtLeast } from './option-checks.ts';
import { extendedIdleDeadline, isLive, sessionEndsAt } from './session.ts';
import {
  removedSession,
  SessionStoreFullError,
  type ExpiredSession,
  type RemovalMark,
  type RemovedSession,
  type RevokeSelection,
  type SessionDisplay,
  type SessionLookupResult,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './store.ts';

export interface MemorySessionStoreOptions {
  /**
   * Most sessions held at once. At the cap, `create` refuses (sign-in answers 503) instead of
   * evicting a live session. Default 100 000 (about 21 MB: ~211 bytes a session with its subject
   * index, bench/session-memory.ts). Also the most marks kept for sessions ended by revoke or
   * replaced at the per-subject limit (~130 bytes each, each kept only until that session would
   * have ended anyway), so those stay bounded too.
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
// Each subject's sessions are a doubly linked list through the slots (two Int32 per slot, -1 at
// the ends), its newest slot in #newestOf: 8 bytes per session and one Map entry per subject,
// instead of a Set per subject (the index must keep the store under 300 bytes per session).
const NEWER = 0;
const OLDER = 1;
const NONE = -1;

/** A mark `create`/`revoke` left: why, and until when it is worth keeping (the session's own end). */
interface Mark {
  mark: RemovalMark;
  untilAt: number;
}

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
  /** Every method settles without I/O: the server bounds none of them in time (SessionStore). */
  readonly settlesInProcess = true;
  #slotOf = new Map<string, number>();
  #keyOf: (string | undefined)[] = [];
  #subjectOf: (string | undefined)[] = [];
  #dataOf = new Map<number, unknown>(); // only sessions that carry data
  #displayOf = new Map<number, SessionDisplay>(); // only sessions that carry display data
  #times = new Float64Array(1024 * COLUMNS);
  #links = new Int32Array(1024 * 2);
  #newestOf = new Map<string, number>();
  // Insertion order is removal order, so the oldest marks are dropped first when there are more
  // than maxSessions (a subject replacing its sessions in a loop cannot grow them without bound).
  #marks = new Map<string, Mark>();
  #freeSlots: number[] = [];
  #heap = new DeadlineHeap(1024);

  constructor(options: MemorySessionStoreOptions = {}) {
    this.maxSessions = integerAtLeast(1, 'MemorySessionStore', 'maxSessions', options.maxSessions ?? DEFAULT_MAX_SESSIONS);
  }

  /** Sessions held, including ended ones the sweeper has not collected yet. */
  get size(): number {
    return this.#slotOf.size;
  }

  async get(key: string, now: number): Promise<SessionLookupResult> {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return this.#markOf(key, now);
    const record = this.#recordAt(slot);
    return isLive(record, now) ? record : undefined;
  }

  async create(key: string, record: SessionRecord, maxPerSubject = Infinity): Promise<StoredSession[]> {
    if (this.#slotOf.has(key)) throw new Error('MemorySessionStore: a session with this key exists');
    // Without a limit there is nothing to replace, and a subject's list is not walked at all.
    const held = maxPerSubject === Infinity ? [] : this.#slotsOf(record.subject);
    const surplus = held.slice(0, Math.max(0, held.length - maxPerSubject + 1));
    if (this.#slotOf.size - surplus.length >= this.maxSessions) {
      throw new SessionStoreFullError(`the memory store holds its cap of ${this.maxSessions} sessions`);
    }
    const replaced = surplus.map((slot) => this.#remove(slot, record.createdAt, 'replaced'));
    const slot = this.#freeSlots.pop() ?? this.#keyOf.length;
    this.#ensureCapacity(slot);
    this.#slotOf.set(key, slot);
    this.#keyOf[slot] = key;
    this.#subjectOf[slot] = record.subject;
    if (record.data !== undefined) this.#dataOf.set(slot, record.data);
    if (record.display !== undefined) this.#displayOf.set(slot, record.display);
    this.#link(slot, record.subject);
    const base = slot * COLUMNS;
    this.#times[base + CREATED] = record.createdAt;
    this.#times[base + IDLE] = record.idleDeadlineAt;
    this.#times[base + ABSOLUTE] = record.absoluteDeadlineAt;
    this.#heap.push(slot, sessionEndsAt(record));
    return replaced;
  }

  async listSubject(subject: string, now: number): Promise<StoredSession[]> {
    return this.#slotsOf(subject)
      .map((slot) => ({ key: this.#keyOf[slot]!, record: this.#recordAt(slot) }))
      .filter(({ record }) => isLive(record, now));
  }

  async revoke(subject: string, which: RevokeSelection, now: number): Promise<StoredSession[]> {
    const only = which.keys && new Set(which.keys);
    const except = new Set(which.exceptKeys);
    return this.#slotsOf(subject)
      .filter((slot) => (!only || only.has(this.#keyOf[slot]!)) && !except.has(this.#keyOf[slot]!))
      .map((slot) => this.#remove(slot, now, 'revoked'));
  }

  async update(key: string, data: unknown, now: number): Promise<SessionRecord | undefined> {
    const slot = this.#slotOf.get(key);
    if (slot === undefined || !isLive(this.#recordAt(slot), now)) return undefined;
    if (data === undefined) this.#dataOf.delete(slot);
    else this.#dataOf.set(slot, data);
    return this.#recordAt(slot);
  }

  async extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionLookupResult> {
    const slot = this.#slotOf.get(key);
    if (slot === undefined) return this.#markOf(key, now);
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

  /**
   * The mark of a key with no slot while it lasts (a key that still has one was never removed, so
   * has none); a mark that has run out is forgotten as it is found.
   */
  #markOf(key: string, now: number): RemovedSession | undefined {
    const mark = this.#marks.get(key);
    if (mark === undefined) return undefined;
    if (mark.untilAt > now) return removedSession(mark.mark);
    this.#marks.delete(key);
    return undefined;
  }

  /** Removes a slot for `create`/`revoke`, marking it when it was live at `now`. */
  #remove(slot: number, now: number, mark: RemovalMark): StoredSession {
    const key = this.#keyOf[slot]!;
    const record = this.#recordAt(slot);
    this.#heap.remove(slot);
    this.#release(key, slot);
    if (isLive(record, now)) this.#markRemoved(key, { mark, untilAt: sessionEndsAt(record) }, now);
    return { key, record };
  }

  /**
   * Keeps a mark, forgetting first the oldest ones that have run out (marks come in roughly in
   * the order they run out, so this stops at the first live one), then any past maxSessions.
   */
  #markRemoved(key: string, mark: Mark, now: number): void {
    this.#marks.delete(key);
    this.#marks.set(key, mark);
    for (const [first, { untilAt }] of this.#marks) {
      if (untilAt > now && this.#marks.size <= this.maxSessions) break;
      this.#marks.delete(first);
    }
  }

  /** The subject's slots, oldest (by createdAt) first; the list is in sign-in order already, unless a clock stepped back. */
  #slotsOf(subject: string): number[] {
    const slots: number[] = [];
    for (let slot = this.#newestOf.get(subject) ?? NONE; slot !== NONE; slot = this.#links[slot * 2 + OLDER]!) slots.push(slot);
    return slots.reverse().sort((a, b) => this.#times[a * COLUMNS + CREATED]! - this.#times[b * COLUMNS + CREATED]!);
  }

  #link(slot: number, subject: string): void {
    const newest = this.#newestOf.get(subject) ?? NONE;
    this.#links[slot * 2 + NEWER] = NONE;
    this.#links[slot * 2 + OLDER] = newest;
    if (newest !== NONE) this.#links[newest * 2 + NEWER] = slot;
    this.#newestOf.set(subject, slot);
  }

  #unlink(slot: number, subject: string): void {
    const newer = this.#links[slot * 2 + NEWER]!;
    const older = this.#links[slot * 2 + OLDER]!;
    if (older !== NONE) this.#links[older * 2 + NEWER] = newer;
    if (newer !== NONE) this.#links[newer * 2 + OLDER] = older;
    else if (older !== NONE) this.#newestOf.set(subject, older);
    else this.#newestOf.delete(subject);
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
    const display = this.#displayOf.get(slot);
    if (display !== undefined) record.display = display;
    return record;
  }

  #release(key: string, slot: number): void {
    this.#unlink(slot, this.#subjectOf[slot]!);
    this.#slotOf.delete(key);
    this.#keyOf[slot] = undefined;
    this.#subjectOf[slot] = undefined;
    this.#dataOf.delete(slot);
    this.#displayOf.delete(slot);
    this.#freeSlots.push(slot);
  }

  #ensureCapacity(slot: number): void {
    if ((slot + 1) * COLUMNS <= this.#times.length) return;
    const slots = Math.max(slot + 1, (this.#times.length / COLUMNS) * 2);
    const grown = new Float64Array(slots * COLUMNS);
    grown.set(this.#times);
    this.#times = grown;
    const links = new Int32Array(slots * 2);
    links.set(this.#links);
    this.#links = links;
  }
}
