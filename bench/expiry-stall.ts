/**
 * The longest event-loop stall while `count` sessions with the same deadline expire at once,
 * ended by idle-logout's own sweeper. Run by `bench/server.ts` as
 *   node --expose-gc --import tsx bench/expiry-stall.ts [count]
 * and reports `{ count, ended, maxStallMs, ... }` over IPC (or prints it when run by hand).
 *
 * The stall is the largest gap between ticks of a 1 ms setTimeout chain, so it includes the
 * ~1 ms period itself: a conservative figure. `perf_hooks.monitorEventLoopDelay` (1 ms
 * resolution) is reported beside it as a cross-check, and so are the CPU time inside the worst
 * gap, GC pauses, and a control window with nothing due (see startStallProbe).
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { createIdleSession, MemorySessionStore, type EndedSession } from '../server/index.ts';
import { runWhenMain } from './child.ts';

const idleTimeoutMs = 300_000;
const absoluteTimeoutMs = 43_200_000;
const sweepIntervalMs = 1000;

/**
 * A 1 ms setTimeout chain. `maxGapMs` is the longest wall-clock time between two ticks;
 * `maxBusyMs` the most CPU time this process used between two ticks. On a machine shared with
 * other work the two differ: a gap with little CPU in it was the OS running someone else, a gap
 * full of CPU was our own code (or our GC) holding the event loop.
 */
function startStallProbe() {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let maxGapMs = 0;
  let maxBusyMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    maxGapMs = Math.max(maxGapMs, now - last);
    maxBusyMs = Math.max(maxBusyMs, (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000);
    last = now;
    lastCpu = cpu;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop(): { maxGapMs: number; maxBusyMs: number } {
      clearTimeout(timer);
      return { maxGapMs, maxBusyMs };
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
  globalThis.gc?.(); // start from a clean heap so the creation garbage is not billed to expiry

  // Control: the same probe for a little over one sweep interval with nothing due, so a stall
  // caused by other processes on the machine can be told apart from one the sweeper caused.
  const control = startStallProbe();
  await new Promise((resolve) => setTimeout(resolve, sweepIntervalMs + 500));
  const controlStall = control.stop();

  // GC pauses in the window, to tell a collector pause from the sweeper's own work.
  let gcCount = 0;
  let maxGcPauseMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount++;
      maxGcPauseMs = Math.max(maxGcPauseMs, entry.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 1 });
  eventLoopDelay.enable();
  const probe = startStallProbe();
  const advancedAt = performance.now();
  clockMs = createdAt + idleTimeoutMs + 1; // every deadline is now in the past

  // Let the sweeper (a real timer every sweepIntervalMs) find and end them; a working one needs
  // about a second, so give up after 10 s (the result then shows how many ended).
  const giveUpAt = advancedAt + 10_000;
  while (ended < count && performance.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const allEndedMs = performance.now() - advancedAt;
  // Keep probing a little after the last callback, in case the sweeper still has work queued.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stall = probe.stop();
  eventLoopDelay.disable();
  gcObserver.disconnect();
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
    maxStallMs: Math.round(stall.maxGapMs * 10) / 10,
    maxBusyMs: Math.round(stall.maxBusyMs * 10) / 10,
    controlStallMs: Math.round(controlStall.maxGapMs * 10) / 10,
    controlBusyMs: Math.round(controlStall.maxBusyMs * 10) / 10,
    gcCount,
    maxGcPauseMs: Math.round(maxGcPauseMs * 10) / 10,
    eventLoopDelayMaxMs: Math.round(eventLoopDelay.max / 1e5) / 10,
  };
}

runWhenMain(import.meta.url, measureExpiryStall, 100_000);
