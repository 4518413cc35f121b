import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTimeLimit } from './time-limit.ts';

afterEach(() => vi.useRealTimers());

describe('createTimeLimit', () => {
  it('passes values and errors through when the promise settles in time', async () => {
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    expect(await withinLimit(Promise.resolve(42))).toBe(42);
    await expect(withinLimit(Promise.reject(new Error('store down')))).rejects.toThrow('store down');
  });

  it('passes its failures through mapError', async () => {
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'), (error) => new Error(`store: ${(error as Error).message}`));
    await expect(withinLimit(Promise.reject(new Error('ECONNREFUSED')))).rejects.toThrow('store: ECONNREFUSED');
  });

  it('fails a promise that hangs when its limit is reached, each call on its own due time', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    const settled: string[] = [];
    void withinLimit(new Promise(() => {})).catch(() => settled.push('first'));
    await vi.advanceTimersByTimeAsync(300);
    void withinLimit(new Promise(() => {})).catch(() => settled.push('second'));
    await vi.advanceTimersByTimeAsync(699);
    expect(settled).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(299);
    expect(settled).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toEqual(['first', 'second']);
  });

  it('keeps the others due on time when calls settle out of order (first, middle, last)', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    const releases: (() => void)[] = [];
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      void withinLimit(new Promise<void>((resolve) => releases.push(resolve))).then(
        () => outcomes.push(`${i} answered`),
        () => outcomes.push(`${i} timed out`),
      );
      await vi.advanceTimersByTimeAsync(100);
    }
    releases[2]!();
    releases[0]!();
    releases[4]!();
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes).toEqual(['2 answered', '0 answered', '4 answered']);
    await vi.advanceTimersByTimeAsync(599); // call 1 is due 1 100 ms after the start
    expect(outcomes).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcomes).toEqual(['2 answered', '0 answered', '4 answered', '1 timed out']);
    await vi.advanceTimersByTimeAsync(199);
    expect(outcomes).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcomes.at(-1)).toBe('3 timed out');
    // Nothing is left pending: a later call is timed from its own start, by one timer.
    releases[1]!();
    releases[3]!();
    const later = withinLimit(new Promise<never>(() => {})).catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await later).toBe('too slow');
    expect(outcomes).toHaveLength(5);
  });

  it('uses one timer however many calls are pending, and none once it has run out with nothing pending', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 100 }, () => withinLimit(new Promise<void>((resolve) => releases.push(resolve))));
    expect(vi.getTimerCount()).toBe(1);
    for (const release of releases) release();
    await Promise.all(calls);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms no timer per call when each settles before the next starts (a fast store)', async () => {
    vi.useFakeTimers();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    for (let i = 0; i < 100; i++) await withinLimit(Promise.resolve(i));
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    // Still exact: a call made later is failed at its own limit, not the earlier timer's.
    await vi.advanceTimersByTimeAsync(600);
    const slow = withinLimit(new Promise<never>(() => {})).catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(999);
    expect(await Promise.race([slow, Promise.resolve('pending')])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await slow).toBe('too slow');
  });

  it('hands what a timed-out promise fulfils with later to onLate, and nothing else', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(100, () => new Error('too slow'));
    const late: string[] = [];
    let release!: (value: string) => void;
    const call = withinLimit(new Promise<string>((resolve) => (release = resolve)), (value) => late.push(value));
    const outcome = call.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(100);
    release('late');
    expect(await outcome).toBe('too slow');
    expect(late).toEqual(['late']);
    const inTime = await withinLimit(Promise.resolve('in time'), (value) => late.push(value));
    expect(inTime).toBe('in time');
    expect(late).toEqual(['late']);
  });
});
