/**
 * The longest event-loop stall while `count` sessions with the same deadline expire at once,
 * ended by idle-logout's own sweeper. Run by `bench/server.ts` as
 *   node --expose-gc --import tsx bench/expiry-stall.ts [count]
 * and reports `{ count, ended, maxStallMs, ... }` over IPC (or prints it when run by hand).
 *
 * The stall is the largest gap between ticks of a 1 ms setTimeout chain, so it includes the
 * ~1 ms period itself: a conservative figure. `perf_hooks.monitorEventLoopDelay` (1 ms
 * resolution) is reported beside it as a cross-check.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Hono } from 'hono';
import { createIdleSession, MemorySessionStore, type EndedSession } from '../server/index.ts';

const idleTimeoutMs = 300_000;
const absoluteTimeoutMs = 43_200_000;
const sweepIntervalMs = 1000;

/** A 1 ms setTimeout chain; `maxGapMs` is the longest time between two ticks. */
function startStallProbe() {
  let last = performance.now();
  let maxGapMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop(): number {
      clearTimeout(timer);
      return maxGapMs;
    },
  };
}

export async function measureExpiryStall(count: number) {
  let clockMs = Date.now();
  let ended = 0;
  const reasons: Record<string, number> = {};
  const store = new MemorySessionStore({ maxSessions: count * 2 });
  const idle = createIdleSession({
    store,
    idleTimeoutMs,
    warningMs: 60_000,
    now: () => clockMs,
    sweepIntervalMs,
    onSessionEnd: (endedSession: EndedSession) => {
      ended++;
      reasons[endedSession.reason] = (reasons[endedSession.reason] ?? 0) + 1;
    },
  });

  const keyBytes = randomBytes(32);
  const createdAt = clockMs;
  for (let i = 0; i < count; i++) {
    keyBytes.writeUInt32BE(i, 0);
    await store.create(keyBytes.toString('base64url'), {
      subject: 'user-1',
      createdAt,
      idleDeadlineAt: createdAt + idleTimeoutMs, // the same deadline for all of them
      absoluteDeadlineAt: createdAt + absoluteTimeoutMs,
    });
  }
  const sizeBefore = store.size;
  // The sweeper starts with the first request the server sees, as in a real deployment.
  const app = new Hono();
  app.route('/', idle.routes);
  const statusAnswer = await app.request('/session');
  if (statusAnswer.status !== 401) throw new Error(`GET /session without a cookie answered ${statusAnswer.status}`);
  globalThis.gc?.(); // start from a clean heap so the creation garbage is not billed to expiry

  // Control: the same probe for a little over one sweep interval with nothing due, so a stall
  // caused by other processes on the machine can be told apart from one the sweeper caused.
  const control = startStallProbe();
  await new Promise((resolve) => setTimeout(resolve, sweepIntervalMs + 500));
  const controlStallMs = control.stop();

  const eventLoopDelay = monitorEventLoopDelay({ resolution: 1 });
  eventLoopDelay.enable();
  const probe = startStallProbe();
  const advancedAt = performance.now();
  clockMs = createdAt + idleTimeoutMs + 1; // every deadline is now in the past

  // Let the sweeper (a real timer every sweepIntervalMs) find and end them; give up after 30 s.
  const giveUpAt = advancedAt + 30_000;
  while (ended < count && performance.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const allEndedMs = performance.now() - advancedAt;
  // Keep probing a little after the last callback, in case the sweeper still has work queued.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const maxStallMs = probe.stop();
  eventLoopDelay.disable();
  idle.close();

  // Anything ended twice would show up as ended > count.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    count,
    sizeBefore,
    sizeAfter: store.size,
    ended,
    reasons,
    allEndedMs: Math.round(allEndedMs),
    maxStallMs: Math.round(maxStallMs * 10) / 10,
    controlStallMs: Math.round(controlStallMs * 10) / 10,
    eventLoopDelayMaxMs: Math.round(eventLoopDelay.max / 1e5) / 10,
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const count = Number(process.argv[2] ?? 100_000);
  measureExpiryStall(count).then(
    (result) => (process.send ? process.send(result) : console.log(JSON.stringify(result))),
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (process.send) process.send({ error: message });
      else console.error(message);
      process.exitCode = 1;
    },
  );
}
