/**
 * What bench/hot-path.ts and bench/redis-calls.ts share: this process's CPU per call of an
 * asynchronous step, with a number of calls in flight at once, as a server has them.
 */

/**
 * CPU µs (user + system, garbage collection included) of this process per call of `call`,
 * `inFlight` calls pending at a time; the median of `rounds` rounds of `calls` calls each.
 *
 * @example
 * await cpuMicrosPerCall(() => store.get(key, Date.now()), { calls: 50_000, rounds: 5, inFlight: 32 });
 */
export async function cpuMicrosPerCall(call: () => Promise<unknown>, { calls, rounds, inFlight }: { calls: number; rounds: number; inFlight: number }): Promise<number> {
  const figures: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let given = 0;
    const worker = async () => {
      while (given < calls) {
        given++;
        await call();
      }
    };
    const startedAt = process.cpuUsage();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const used = process.cpuUsage(startedAt);
    figures.push((used.user + used.system) / calls);
  }
  return Math.round(figures.sort((a, b) => a - b)[rounds >> 1]! * 100) / 100;
}
