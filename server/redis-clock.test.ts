import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLOCK_TOLERANCE_MS, RedisClock } from './redis-clock.ts';

const REDIS_NOW_MS = 1_700_000_000_000;
/** Redis's TIME reply for an epoch ms. */
const timeReply = (ms: number) => [String(Math.floor(ms / 1_000)), String((ms % 1_000) * 1_000)] as const;

function setup({ wallAheadMs = 0 } = {}) {
  let monotonic = 10_000;
  vi.spyOn(performance, 'now').mockImplementation(() => monotonic);
  vi.spyOn(Date, 'now').mockImplementation(() => REDIS_NOW_MS + wallAheadMs + (monotonic - 10_000));
  const warn = vi.fn();
  let redisReads = 0;
  // Redis's clock runs with the monotonic one; each read is answered in 0 ms unless told.
  let roundTripMs = 0;
  const clock = new RedisClock(async () => {
    redisReads += 1;
    const reply = timeReply(REDIS_NOW_MS + (monotonic - 10_000));
    monotonic += roundTripMs;
    return reply;
  }, { warn });
  return {
    clock,
    warn,
    reads: () => redisReads,
    pass: (ms: number) => void (monotonic += ms),
    setRoundTrip: (ms: number) => void (roundTripMs = ms),
  };
}

afterEach(() => vi.restoreAllMocks());

describe('RedisClock', () => {
  it('gives the send time in Redis clock, measured once, then every minute', async () => {
    const { clock, reads, pass } = setup({ wallAheadMs: 300 });
    expect(await clock.sentAt()).toBe(REDIS_NOW_MS);
    pass(1_500);
    expect(await clock.sentAt()).toBe(REDIS_NOW_MS + 1_500);
    expect(reads()).toBe(1);
    pass(60_000);
    await clock.sentAt();
    expect(reads()).toBe(2);
  });

  it('is not moved by a step of the wall clock between measurements', async () => {
    const { clock, pass } = setup();
    await clock.sentAt();
    vi.spyOn(Date, 'now').mockImplementation(() => REDIS_NOW_MS - 30_000); // NTP stepped it back
    pass(200);
    expect(await clock.sentAt()).toBe(REDIS_NOW_MS + 200);
  });

  it('keeps a precise sample over a slow one, and measures a slow first one again', async () => {
    const { clock, reads, pass, setRoundTrip } = setup();
    setRoundTrip(400); // Redis read its clock at once; the answer took 400 ms to come back
    const first = await clock.sentAt();
    expect(first).toBe(REDIS_NOW_MS - 200); // the midpoint: off by half the round trip
    setRoundTrip(0);
    pass(10);
    await clock.sentAt(); // still the imprecise offset, and a new measurement starts
    await clock.check(); // the same measurement, not another one
    expect(reads()).toBe(2);
    pass(10);
    expect(await clock.sentAt()).toBe(REDIS_NOW_MS + 420);
    setRoundTrip(400);
    await clock.check();
    setRoundTrip(0);
    expect(await clock.sentAt()).toBe(REDIS_NOW_MS + 820);
  });

  it('warns once, saying by how much and what to do, when this server is more than the tolerance off Redis', async () => {
    const { clock, warn, pass } = setup({ wallAheadMs: CLOCK_TOLERANCE_MS + 2_000 });
    await clock.check();
    pass(60_000);
    await clock.check();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/clock is 3000 ms ahead of Redis's.*NTP-synced within 1000 ms/);
  });

  it('says nothing within the tolerance', async () => {
    const { clock, warn } = setup({ wallAheadMs: -(CLOCK_TOLERANCE_MS - 100) });
    await clock.check();
    expect(warn).not.toHaveBeenCalled();
  });
});
