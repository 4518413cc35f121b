import { describe, expect, it } from 'vitest';
import { LazyPromise } from './lazy-promise.ts';

describe('LazyPromise', () => {
  it('does no work until awaited, then runs it once for every reader', async () => {
    let runs = 0;
    const lazy = new LazyPromise(async () => ++runs);
    await Promise.resolve();
    expect(runs).toBe(0);
    expect(lazy.started).toBe(false);
    expect(await lazy).toBe(1);
    expect(await lazy).toBe(1);
    expect(await lazy.then((n) => n * 10)).toBe(10);
    expect(runs).toBe(1);
    expect(lazy.started).toBe(true);
  });

  it('passes a failure to every reader, through await, catch and finally', async () => {
    const lazy = new LazyPromise<number>(() => Promise.reject(new Error('store down')));
    await expect(lazy).rejects.toThrow('store down');
    expect(await lazy.catch((error: unknown) => (error as Error).message)).toBe('store down');
    let settled = false;
    await lazy.finally(() => void (settled = true)).catch(() => {});
    expect(settled).toBe(true);
  });

  it('is a Promise, so TypeScript and instanceof treat it as one', () => {
    const lazy = new LazyPromise(async () => 1);
    expect(lazy).toBeInstanceOf(Promise);
    expect(lazy.then(() => 2)).not.toBeInstanceOf(LazyPromise);
  });
});
