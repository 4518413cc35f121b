/**
 * `npm run bench:redis-memory [sessions]` — what a session costs in Redis, for docs/redis.md
 * (Sizing): bytes per session by `MEMORY USAGE … SAMPLES 0` over every key the store wrote (the
 * session hashes, the deadline index, the subject sets), and Redis's own CPU per store call (INFO
 * CPU around the sign-ins, a burst of extends and one of reads). Two kinds of sessions: one per user and no data
 * (the bare minimum), and two per user with a little `data` and a `display` (a typical app).
 *
 * Runs against REDIS_URL or 127.0.0.1:6379 under a key prefix of its own, and deletes its keys
 * afterwards (the Redis may be shared: the CPU figures then include whatever else it ran).
 * Prints a table, then one JSON line.
 */
import { RedisSessionStore } from '../server/redis.ts';
import { newSessionRecord } from '../server/session.ts';
import { newSessionId, storeKeyFor } from '../server/session-id.ts';
import { benchRedisPrefix, connectBenchRedis, deleteKeysUnder, redisCpuMicros, type BenchRedisClient } from './redis-keys.ts';

const defaultCount = 50_000;
const concurrency = 500;
const callsPerBurst = 50_000;
const maxSessionsPerSubject = 10; // the server's default (server/options.ts)
const schedule = { idleTimeoutMs: 300_000, warningMs: 60_000, absoluteTimeoutMs: 43_200_000 };

interface Shape {
  name: string;
  sessionsPerSubject: number;
  data?: unknown;
  display?: Record<string, string>;
}

const shapes: Shape[] = [
  { name: 'one per user, no data', sessionsPerSubject: 1 },
  { name: 'two per user, data + display', sessionsPerSubject: 2, data: { role: 'editor', tenant: 'acme-42' }, display: { device: 'Firefox on Linux' } },
];

/** Runs `call(i)` for i < count, `concurrency` at a time (node-redis pipelines what is in flight). */
async function inBatches(count: number, call: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, count - start) }, (_, i) => call(start + i)));
  }
}

/** Sum of MEMORY USAGE (every element counted: SAMPLES 0) over the keys under `prefix`, and how many keys. */
async function memoryUnder(client: BenchRedisClient, prefix: string): Promise<{ bytes: number; keys: number }> {
  const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
  let bytes = 0;
  let keys = 0;
  for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1_000 })) {
    const sizes = await Promise.all(batch.map((key) => client.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0'])));
    bytes += sizes.reduce<number>((sum, size) => sum + Number(size ?? 0), 0);
    keys += batch.length;
  }
  return { bytes, keys };
}

async function usedMemory(client: BenchRedisClient): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1] ?? NaN);
}

/** Redis CPU µs per call over `callsPerBurst` calls of `call` on random sessions. */
async function redisCpuPerCall(client: BenchRedisClient, keys: string[], call: (key: string) => Promise<unknown>): Promise<number> {
  const before = await redisCpuMicros(client);
  await inBatches(callsPerBurst, () => call(keys[Math.floor(Math.random() * keys.length)]!));
  return ((await redisCpuMicros(client)) - before) / callsPerBurst;
}

async function measureShape(client: BenchRedisClient, shape: Shape, count: number) {
  const prefix = benchRedisPrefix('redis-memory');
  const store = new RedisSessionStore({ client, prefix, logger: { warn: () => {} } });
  try {
    const usedBefore = await usedMemory(client);
    const keys = Array.from({ length: count }, () => storeKeyFor(newSessionId()));
    const startedAt = Date.now();
    const cpuBeforeFill = await redisCpuMicros(client);
    await inBatches(count, (i) => {
      const subject = `user-${Math.floor(i / shape.sessionsPerSubject)}@example.com`;
      return store.create(keys[i]!, newSessionRecord(subject, shape.data, startedAt + i, schedule, shape.display), maxSessionsPerSubject);
    });
    const fillMs = Date.now() - startedAt;
    const createMicros = ((await redisCpuMicros(client)) - cpuBeforeFill) / count;
    const usedAfter = await usedMemory(client);
    const { bytes, keys: keyCount } = await memoryUnder(client, prefix);
    const now = () => Date.now();
    const extendMicros = await redisCpuPerCall(client, keys, (key) => store.extend(key, now() + schedule.idleTimeoutMs, now()));
    const getMicros = await redisCpuPerCall(client, keys, (key) => store.get(key, now()));
    return {
      shape: shape.name,
      sessions: count,
      keys: keyCount,
      bytesPerSession: Math.round(bytes / count),
      usedMemoryBytesPerSession: Math.round((usedAfter - usedBefore) / count),
      fillMs,
      redisCpuMicrosPerCreate: Math.round(createMicros * 10) / 10,
      redisCpuMicrosPerExtend: Math.round(extendMicros * 10) / 10,
      redisCpuMicrosPerGet: Math.round(getMicros * 10) / 10,
    };
  } finally {
    await deleteKeysUnder(client, prefix);
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? defaultCount);
  const client = await connectBenchRedis();
  try {
    const version = /^redis_version:(\S+)/m.exec(await client.info('server'))?.[1];
    const results = [];
    for (const shape of shapes) {
      process.stderr.write(`  ${shape.name}: filing ${count.toLocaleString('en-US')} sessions…\n`);
      results.push(await measureShape(client, shape, count));
    }
    console.log(`Redis ${version}, ${count.toLocaleString('en-US')} sessions per shape, maxSessionsPerSubject ${maxSessionsPerSubject}`);
    console.table(results);
    console.log(JSON.stringify({ redisVersion: version, results }));
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
