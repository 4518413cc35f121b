/**
 * `npm run bench:hot-path [sessions]` — the store-side steps of every request, in one process, with
 * many live sessions hit at random (one hot session keeps everything in the CPU cache and
 * flatters every step): the store key of a cookie's id, and the memory store's get and extend
 * by that key. Prints µs per step (median of 5 runs of 200 000 steps) and a JSON line. On a busy
 * machine the figures swing; compare two versions in the same minute.
 *
 * Also the store's time bound (server/time-limit.ts) around a call that answers a turn later, as
 * a network store's does, with 32 such calls pending at once (the bench's 32 connections): µs of
 * CPU per call, garbage collection included, with and without the bound, in the same run.
 */
import { MemorySessionStore } from '../server/memory-store.ts';
import { newSessionRecord } from '../server/session.ts';
import { newSessionId, storeKeyFor } from '../server/session-id.ts';
import { createTimeLimit } from '../server/time-limit.ts';
import { cpuMicrosPerCall } from './cpu-per-call.ts';

const steps = 200_000;
const runs = 5;
const schedule = { idleTimeoutMs: 1_800_000, warningMs: 60_000, absoluteTimeoutMs: 43_200_000 };

/** µs per call of `step`, median of `runs` runs; `step` gets a random index below `count`. */
async function microsPerStep(count: number, step: (index: number) => unknown): Promise<number> {
  const figures: number[] = [];
  for (let run = 0; run < runs; run++) {
    const startedAt = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) await step(Math.floor(Math.random() * count));
    figures.push(Number(process.hrtime.bigint() - startedAt) / steps / 1_000);
  }
  return Math.round(figures.sort((a, b) => a - b)[runs >> 1]! * 100) / 100;
}

/** CPU µs per call of `wrap` around a promise that settles a turn later, 32 pending; median of `runs` runs of 500 000. */
function boundCpuMicros(wrap: (answer: Promise<number>) => Promise<number>): Promise<number> {
  return cpuMicrosPerCall(() => wrap(new Promise<number>((resolve) => setImmediate(resolve, 1))), { calls: 500_000, rounds: runs, inFlight: 32 });
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100_000);
  const store = new MemorySessionStore({ maxSessions: count + 1 });
  const ids = Array.from({ length: count }, newSessionId);
  for (const [i, id] of ids.entries()) await store.create(storeKeyFor(id), newSessionRecord(`user-${i}`, undefined, Date.now(), schedule));
  const figures = {
    sessions: count,
    storeKeyMicros: await microsPerStep(count, (i) => storeKeyFor(ids[i]!)),
    // As a request does it: the key made afresh from the cookie's id, then the store call.
    keyAndGetMicros: await microsPerStep(count, (i) => store.get(storeKeyFor(ids[i]!), Date.now())),
    keyAndExtendMicros: await microsPerStep(count, (i) => {
      const now = Date.now();
      return store.extend(storeKeyFor(ids[i]!), now + schedule.idleTimeoutMs, now);
    }),
  };
  const withinLimit = createTimeLimit(2_000, () => new Error('too slow'));
  const bound = {
    unboundCallCpuMicros: await boundCpuMicros((answer) => answer),
    boundCallCpuMicros: await boundCpuMicros((answer) => withinLimit(answer)),
  };
  console.log(`${count.toLocaleString('en-US')} sessions, µs per step (median of ${runs} runs of ${steps.toLocaleString('en-US')}):`);
  console.log(`  store key of an id            ${figures.storeKeyMicros}`);
  console.log(`  key + memory store get        ${figures.keyAndGetMicros}`);
  console.log(`  key + memory store extend     ${figures.keyAndExtendMicros}`);
  console.log(`CPU µs per call answering a turn later, 32 pending (median of ${runs} runs of 500 000):`);
  console.log(`  without a time bound          ${bound.unboundCallCpuMicros}`);
  console.log(`  with the store's time bound   ${bound.boundCallCpuMicros}`);
  console.log(JSON.stringify({ ...figures, ...bound }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
