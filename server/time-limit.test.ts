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

  it('fails a promise that hangs, within a quarter of the limit after it', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    const outcome = withinLimit(new Promise(() => {})).catch((error: Error) => error.message);
    let settled: unknown;
    void outcome.then((value) => (settled = value));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(251);
    expect(settled).toBe('too slow');
  });

  it('uses one timer however many calls are pending, and none when nothing is', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(1_000, () => new Error('too slow'));
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 100 }, () => withinLimit(new Promise<void>((resolve) => releases.push(resolve))));
    expect(vi.getTimerCount()).toBe(1);
    for (const release of releases) release();
    await Promise.all(calls);
    await vi.advanceTimersByTimeAsync(250);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores what a timed-out promise settles to later', async () => {
    vi.useFakeTimers();
    const withinLimit = createTimeLimit(100, () => new Error('too slow'));
    let release!: (value: string) => void;
    const call = withinLimit(new Promise<string>((resolve) => (release = resolve)));
    const outcome = call.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(125);
    release('late');
    expect(await outcome).toBe('too slow');
  });
});
