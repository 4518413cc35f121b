/**
 * Bytes per session in the embedded memory store: memory delta / count after creating
 * `count` sessions directly through the store, as sign-in does: filed under their subject (two
 * sessions per subject, so the per-subject index and the subject strings are counted, one Map
 * entry per subject), with the server's default per-subject limit of 10. The delta is heapUsed plus arrayBuffers:
 * typed arrays (which the memory store and its deadline heap use) keep their contents outside
 * the V8 heap, so heapUsed alone would leave them out. Run by `bench/server.ts` as
 *   node --expose-gc --import tsx bench/session-memory.ts [count]
 * and reports `{ count, bytesPerSession, ... }` over IPC (or prints it when run by hand).
 */
import { randomBytes } from 'node:crypto';
import { MemorySessionStore } from '../server/index.ts';
import { runWhenMain } from './child.ts';

const idleTimeoutMs = 300_000;
const absoluteTimeoutMs = 43_200_000;
const sessionsPerSubject = 2;
const maxSessionsPerSubject = 10; // the server's default (server/options.ts)

function collectGarbage(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  // Two passes: the first can leave weak/finalizable objects for the second.
  globalThis.gc();
  globalThis.gc();
}

export async function measureSessionMemory(count: number) {
  const store = new MemorySessionStore({ maxSessions: count * 2 });
  // One 32-byte buffer reused for every key: a fresh counter in its first 4 bytes keeps the keys
  // distinct, the rest is random like a SHA-256. No keys array is kept, so only what the store
  // holds (its own reference to each key string) is counted.
  const keyBytes = randomBytes(32);
  const startedAt = Date.now();

  collectGarbage();
  const before = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    keyBytes.writeUInt32BE(i, 0);
    const key = keyBytes.toString('base64url'); // 43 characters, no padding
    const createdAt = startedAt + (i >>> 10); // a realistic spread of sign-in times
    const record = {
      subject: `user-${Math.floor(i / sessionsPerSubject)}`, // a fresh string, as a sign-in's would be
      createdAt,
      idleDeadlineAt: createdAt + idleTimeoutMs,
      absoluteDeadlineAt: createdAt + absoluteTimeoutMs,
    };
    await store.create(key, record, maxSessionsPerSubject);
  }
  const fillMs = Date.now() - startedAt;
  collectGarbage();
  const after = process.memoryUsage();
  const size = store.size;
  if (size !== count) throw new Error(`store holds ${size} sessions, expected ${count}`);
  const heapDelta = after.heapUsed - before.heapUsed;
  const arrayBuffersDelta = after.arrayBuffers - before.arrayBuffers;
  return {
    count,
    sessionsPerSubject,
    heapBeforeBytes: before.heapUsed,
    heapAfterBytes: after.heapUsed,
    heapBytesPerSession: Math.round(heapDelta / count),
    arrayBufferBytesPerSession: Math.round(arrayBuffersDelta / count),
    bytesPerSession: Math.round((heapDelta + arrayBuffersDelta) / count),
    fillMs,
    // keep the store reachable until after the second reading
    storeSize: size,
  };
}

runWhenMain(import.meta.url, measureSessionMemory, 1_000_000);
