import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from './deadline-heap.ts';

function drain(heap: DeadlineHeap): number[] {
  const order: number[] = [];
  while (heap.size > 0) {
    const slot = heap.peekSlot();
    order.push(slot);
    heap.remove(slot);
  }
  return order;
}

describe('DeadlineHeap', () => {
  it('hands out slots in due order and reports the first due time', () => {
    const heap = new DeadlineHeap(2);
    heap.push(0, 30);
    heap.push(1, 10);
    heap.push(2, 20);
    expect(heap.peekDueAt()).toBe(10);
    expect(drain(heap)).toEqual([1, 2, 0]);
    expect(heap.peekSlot()).toBe(-1);
    expect(heap.peekDueAt()).toBe(Infinity);
  });

  it('reschedules later and earlier', () => {
    const heap = new DeadlineHeap();
    heap.push(0, 10);
    heap.push(1, 20);
    heap.push(2, 30);
    heap.reschedule(0, 40);
    expect(heap.peekSlot()).toBe(1);
    heap.reschedule(2, 5);
    expect(drain(heap)).toEqual([2, 1, 0]);
  });

  it('removes from the middle and keeps order', () => {
    const heap = new DeadlineHeap();
    for (let slot = 0; slot < 50; slot++) heap.push(slot, (slot * 37) % 50);
    for (let slot = 0; slot < 50; slot += 3) heap.remove(slot);
    const order = drain(heap);
    const due = order.map((slot) => (slot * 37) % 50);
    expect(due).toEqual([...due].sort((a, b) => a - b));
    expect(order).toHaveLength(50 - 17);
    expect(order.some((slot) => slot % 3 === 0)).toBe(false);
  });

  it('refuses to schedule a slot twice and grows past its initial capacity', () => {
    const heap = new DeadlineHeap(1);
    heap.push(5, 1);
    expect(() => heap.push(5, 2)).toThrow(/already scheduled/);
    for (let slot = 6; slot < 3000; slot++) heap.push(slot, 3000 - slot);
    expect(heap.size).toBe(2995);
    expect(heap.peekSlot()).toBe(5);
    expect(heap.has(5)).toBe(true);
    heap.remove(5);
    expect(heap.has(5)).toBe(false);
    expect(heap.peekSlot()).toBe(2999);
  });
});
