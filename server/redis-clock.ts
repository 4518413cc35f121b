// Redis's clock as seen from this process, so that a script can tell how long a command spent in
// transit (Redis's TIME when it runs, minus when it was sent in Redis's clock), and so that a
// server whose clock is far from Redis's is told. Web standards only (performance.now, Date.now).

/**
 * How far this server's clock may be from Redis's before a warning. Instances judge deadlines by
 * their own clocks; each within this of Redis keeps any two within twice it.
 */
export const CLOCK_TOLERANCE_MS = 1_000;
/** How often the offset is measured again, to follow drift. */
const CHECK_INTERVAL_MS = 60_000;
/** A sample whose round trip took longer than this is too imprecise to replace an earlier one. */
const MAX_SAMPLE_ROUND_TRIP_MS = 50;

/** Redis's TIME reply: seconds and microseconds, as strings or numbers. */
export type ReadRedisTime = () => Promise<readonly [unknown, unknown]>;

interface Sample {
  /** Redis's clock minus performance.now() (ms). */
  monotonicToRedisMs: number;
  /** performance.now() when measured; -Infinity for an imprecise first sample (measure again soon). */
  checkedAt: number;
  skewed: boolean;
}

/**
 * Measures the offset at the first use and every minute, with one TIME round trip each.
 * The send time is taken from `performance.now()`, a monotonic clock, so an NTP step of this
 * server's wall clock between two measurements cannot make a command look late (or early).
 *
 * @example
 * const clock = new RedisClock(() => client.time(), console);
 * const sentAt = await clock.sentAt(); // pass to the script, which compares it with TIME
 */
export class RedisClock {
  #readTime: ReadRedisTime;
  #logger: Pick<Console, 'warn'>;
  #sample: Sample | undefined;
  #checking: Promise<void> | undefined;

  constructor(readTime: ReadRedisTime, logger: Pick<Console, 'warn'>) {
    this.#readTime = readTime;
    this.#logger = logger;
  }

  /**
   * Now, in Redis's clock (epoch ms). Read before any wait for a measurement, which is part of
   * the caller's time.
   */
  sentAt(): number | Promise<number> {
    const at = performance.now();
    // Every call but the first answers synchronously: the hot path (each keepalive) awaits no promise.
    if (this.#sample === undefined) return this.check().then(() => at + this.#sample!.monotonicToRedisMs);
    if (at - this.#sample.checkedAt >= CHECK_INTERVAL_MS) this.check().catch(() => {}); // keep the last offset meanwhile
    return at + this.#sample.monotonicToRedisMs;
  }

  /** Measures now (one measurement at a time); rejects when Redis does not answer. */
  check(): Promise<void> {
    this.#checking ??= this.#measure().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  /** Redis read its clock between send and answer, so the midpoint is off by at most half the round trip. */
  async #measure(): Promise<void> {
    const sentAt = performance.now();
    const [seconds, micros] = await this.#readTime();
    const answeredAt = performance.now();
    const precise = answeredAt - sentAt <= MAX_SAMPLE_ROUND_TRIP_MS;
    if (this.#sample && !precise) return;
    const redisNow = Number(seconds) * 1_000 + Number(micros) / 1_000;
    const midpoint = (sentAt + answeredAt) / 2;
    // The wall clock, for the warning only: deadlines are the servers' wall-clock times.
    const wallAheadMs = Date.now() - (answeredAt - midpoint) - redisNow;
    const skewed = Math.abs(wallAheadMs) > CLOCK_TOLERANCE_MS;
    if (skewed && !this.#sample?.skewed) {
      this.#logger.warn(
        `idle-logout: this server's clock is ${Math.round(Math.abs(wallAheadMs))} ms ${wallAheadMs > 0 ? 'ahead of' : 'behind'} Redis's. Instances judge session deadlines by their own clocks, so a session ends at different times depending on which instance answers: keep every instance and Redis NTP-synced within ${CLOCK_TOLERANCE_MS} ms (docs/redis.md, Clocks).`,
      );
    }
    this.#sample = { monotonicToRedisMs: redisNow - midpoint, checkedAt: precise ? answeredAt : -Infinity, skewed };
  }
}
