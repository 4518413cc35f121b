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

  it('uses one timer however many calls are pending, and none when nothing is', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 100 }, () => withinLimit(new Promise<void>((resolve) => releases.push(resolve))));
    expect(vi.getTimerCount()).toBe(1);
    for (const release of releases) release();
    await Promise.all(calls);
    expect(vi.getTimerCount()).toBe(0);
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
