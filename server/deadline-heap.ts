/**
 * A binary min-heap of slot numbers ordered by a due time per slot — the memory store's one
 * scheduler. O(log n) push, remove and reschedule; O(1) to see what is due next. Typed arrays keep
 * it at 16 bytes per slot (due time + heap cell + position), with no object per entry.
 */
export class DeadlineHeap {
  #dueAt: Float64Array;
  #cells: Int32Array; // heap order: cells[0] is the slot due first
  #positionOf: Int32Array; // slot → index in cells, or -1 when not in the heap
  #size = 0;

  constructor(initialCapacity = 1024) {
    this.#dueAt = new Float64Array(initialCapacity);
    this.#cells = new Int32Array(initialCapacity);
    this.#positionOf = new Int32Array(initialCapacity).fill(-1);
  }

  get size(): number {
    return this.#size;
  }

  /** The slot due first, or -1 when empty. */
  peekSlot(): number {
    return this.#size === 0 ? -1 : this.#cells[0]!;
  }

  /** When the first slot is due, or Infinity when empty. */
  peekDueAt(): number {
    return this.#size === 0 ? Infinity : this.#dueAt[this.#cells[0]!]!;
  }

  has(slot: number): boolean {
    return slot < this.#positionOf.length && this.#positionOf[slot]! >= 0;
  }

  push(slot: number, dueAt: number): void {
    if (this.has(slot)) throw new Error(`slot ${slot} is already scheduled`);
    this.#ensureSlot(slot);
    this.#dueAt[slot] = dueAt;
    const index = this.#size++;
    this.#cells[index] = slot;
    this.#positionOf[slot] = index;
    this.#siftUp(index);
  }

  /** Moves a scheduled slot to a new due time, earlier or later. */
  reschedule(slot: number, dueAt: number): void {
    const index = this.#positionOf[slot]!;
    const before = this.#dueAt[slot]!;
    this.#dueAt[slot] = dueAt;
    if (dueAt < before) this.#siftUp(index);
    else this.#siftDown(index);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    const index = this.#positionOf[slot]!;
    const last = --this.#size;
    this.#positionOf[slot] = -1;
    if (index === last) return;
    const moved = this.#cells[last]!;
    this.#cells[index] = moved;
    this.#positionOf[moved] = index;
    this.#siftDown(index);
    this.#siftUp(this.#positionOf[moved]!);
  }

  #ensureSlot(slot: number): void {
    if (slot < this.#dueAt.length && this.#size < this.#cells.length) return;
    const capacity = Math.max(slot + 1, this.#size + 1, this.#dueAt.length * 2);
    const dueAt = new Float64Array(capacity);
    dueAt.set(this.#dueAt);
    const cells = new Int32Array(capacity);
    cells.set(this.#cells);
    const positionOf = new Int32Array(capacity).fill(-1);
    positionOf.set(this.#positionOf);
    this.#dueAt = dueAt;
    this.#cells = cells;
    this.#positionOf = positionOf;
  }

  #siftUp(index: number): void {
    const cells = this.#cells;
    const slot = cells[index]!;
    const dueAt = this.#dueAt[slot]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentSlot = cells[parent]!;
      if (this.#dueAt[parentSlot]! <= dueAt) break;
      cells[index] = parentSlot;
      this.#positionOf[parentSlot] = index;
      index = parent;
    }
    cells[index] = slot;
    this.#positionOf[slot] = index;
  }

  #siftDown(index: number): void {
    const cells = this.#cells;
    const size = this.#size;
    const slot = cells[index]!;
    const dueAt = this.#dueAt[slot]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && this.#dueAt[cells[right]!]! < this.#dueAt[cells[child]!]!) child = right;
      const childSlot = cells[child]!;
      if (this.#dueAt[childSlot]! >= dueAt) break;
      cells[index] = childSlot;
      this.#positionOf[childSlot] = index;
      index = child;
    }
    cells[index] = slot;
    this.#positionOf[slot] = index;
  }
}
