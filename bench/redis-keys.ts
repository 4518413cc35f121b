/**
 * What the benches that use Redis share: a key prefix of their own per run, removing every key
 * under it afterwards (the Redis at 127.0.0.1:6379 may be shared: never FLUSHALL), and Redis's
 * own CPU time, from INFO.
 */
import { createClient } from 'redis';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function newBenchClient() {
  return createClient({ url: redisUrl, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
}

export type BenchRedisClient = ReturnType<typeof newBenchClient>;

/**
 * A prefix no other run uses, in the store's format (one `{hash tag}`). Everything a bench files
 * starts with it, so `deleteKeysUnder` finds it all.
 *
 * @example
 * const prefix = benchRedisPrefix('bench'); // 'idle-logout-bench:{4711-1764600000000}:'
 */
export function benchRedisPrefix(name: string): string {
  return `idle-logout-${name}:{${process.pid}-${Date.now()}}:`;
}

export async function connectBenchRedis(): Promise<BenchRedisClient> {
  const client = newBenchClient();
  client.on('error', () => {}); // a failed connect rejects connect(); callers say why
  await client.connect();
  return client;
}

/** Deletes every key that starts with `prefix` (SCAN + UNLINK, in batches); resolves to how many. */
export async function deleteKeysUnder(client: BenchRedisClient, prefix: string): Promise<number> {
  // SCAN's MATCH is a glob: escape its special characters in the prefix.
  const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1_000 })) {
    if (keys.length > 0) deleted += await client.unlink(keys);
  }
  return deleted;
}

/** Redis's CPU time so far, user + system, in µs (INFO CPU; all of Redis, whoever else uses it). */
export async function redisCpuMicros(client: BenchRedisClient): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6);
}
