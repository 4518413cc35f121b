import { describe, expect, it, vi } from 'vitest';
import { guardStore } from './guarded-store.ts';
import { MemorySessionStore } from './memory-store.ts';
import type { EndReason } from './session.ts';
import type { SessionRecord } from './store.ts';
import { startSweeper } from './sweeper.ts';
import { T0 } from './testing/deadline-rule.ts';

const quiet = { error: vi.fn() };

async function sweeperOver(sessions: number) {
  const inner = new MemorySessionStore();
  for (let i = 0; i < sessions; i++) {
    await inner.create(`k${i}`, { subject: `u${i}`, createdAt: T0, idleDeadlineAt: T0 + 1_000 + i, absoluteDeadlineAt: T0 + 10_000 });
  }
  let clock = T0;
  const ended: { subject: string; reason: EndReason; endedAt: number }[] = [];
  const store = guardStore(inner, { timeLimitMs: 1_000, now: () => clock, logger: quiet });
  const onEnded = (record: SessionRecord, reason: EndReason, endedAt: number) => void ended.push({ subject: record.subject, reason, endedAt });
  const sweeper = startSweeper({ store, now: () => clock, intervalMs: 0, onEnded, logger: quiet });
  return { inner, sweeper, ended, advance: (ms: number) => void (clock += ms) };
}

describe('the sweeper', () => {
  it('ends only sessions past their deadline, each once, with the reason and time of the claim', async () => {
    const { sweeper, ended, advance } = await sweeperOver(3);
    advance(1_001); // k0 and k1 are due (deadlines T0+1000, T0+1001); k2 is not
    expect(await sweeper.sweepExpired()).toBe(2);
    expect(ended).toEqual([
      { subject: 'u0', reason: 'idle', endedAt: T0 + 1_001 },
      { subject: 'u1', reason: 'idle', endedAt: T0 + 1_001 },
    ]);
    expect(await sweeper.sweepExpired()).toBe(0);
  });

  it('collects many in batches, and callers at the same time share one sweep', async () => {
    const { sweeper, ended, advance, inner } = await sweeperOver(1_200);
    advance(5_000);
    const takeExpired = vi.spyOn(inner, 'takeExpired');
    const [first, second] = await Promise.all([sweeper.sweepExpired(), sweeper.sweepExpired()]);
    expect([first, second]).toEqual([1_200, 1_200]);
    expect(ended).toHaveLength(1_200);
    expect(new Set(ended.map((e) => e.subject)).size).toBe(1_200);
    expect(takeExpired.mock.calls.map(([, limit]) => limit)).toEqual([500, 500, 500]); // 500 + 500 + 200
  });

  it('runs by itself every intervalMs until stopped', async () => {
    vi.useFakeTimers();
    try {
      const inner = new MemorySessionStore();
      await inner.create('k', { subject: 'quiet', createdAt: T0, idleDeadlineAt: T0, absoluteDeadlineAt: T0 + 1 });
      const onEnded = vi.fn();
      const store = guardStore(inner, { timeLimitMs: 1_000, now: () => T0, logger: quiet });
      const sweeper = startSweeper({ store, now: () => T0, intervalMs: 1_000, onEnded, logger: quiet });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(onEnded).toHaveBeenCalledTimes(1);
      sweeper.stop();
      const takeExpired = vi.spyOn(inner, 'takeExpired');
      await vi.advanceTimersByTimeAsync(5_000);
      expect(takeExpired).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  // Cloudflare Workers throw on a timer set outside a request (workerd: "Disallowed operation called
  // within global scope … setting a timeout"), and apps call createIdleSession at module scope.
  it('where the runtime refuses a timer at startup, starts anyway, says to sweep from a scheduled handler, and sweeps when called', async () => {
    const { inner } = await sweeperOver(1);
    const refuse = vi.spyOn(globalThis, 'setInterval').mockImplementation(() => {
      throw new Error('Disallowed operation called within global scope.');
    });
    const logger = { error: vi.fn() };
    try {
      const store = guardStore(inner, { timeLimitMs: 1_000, now: () => T0 + 5_000, logger });
      const sweeper = startSweeper({ store, now: () => T0 + 5_000, intervalMs: 1_000, onEnded: () => {}, logger });
      expect(logger.error).toHaveBeenCalledOnce();
      expect(String(logger.error.mock.calls[0]?.[0])).toMatch(/sweepExpired\(\) from a scheduled handler.*sweepIntervalMs: 0/s);
      expect(await sweeper.sweepExpired()).toBe(1);
      sweeper.stop();
    } finally {
      refuse.mockRestore();
    }
  });
});
