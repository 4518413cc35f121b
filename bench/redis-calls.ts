/**
 * `npm run bench:redis-calls` — what one Redis store call costs the app server's CPU (this
 * process, client side: encoding, the reply, the store's and the server's own wrapping), for a
 * node-redis client as docs/redis.md recommends (`disableOfflineQueue: true`) and for one left at
 * node-redis's default (the offline queue on), with a plain HMGET of the same fields beside them.
 * 10 000 live sessions hit at random, 32 calls in flight (the server bench's 32 connections), CPU
 * µs per call over 50 000 calls, median of 5 rounds. Redis's own CPU is not counted here
 * (bench:redis-memory has it).
 *
 * Runs against REDIS_URL or 127.0.0.1:6379 under a key prefix of its own and deletes its keys
 * afterwards. Prints a table, then one JSON line.
 */
import { createClient } from 'redis';
import { guardStore } from '../server/guarded-store.ts';
import { RedisSessionStore } from '../server/redis.ts';
import { newSessionRecord } from '../server/session.ts';
import { newSessionId, storeKeyFor } from '../server/session-id.ts';
import { cpuMicrosPerCall } from './cpu-per-call.ts';
import { benchRedisPrefix, deleteKeysUnder, redisUrl, type BenchRedisClient } from './redis-keys.ts';

const sessionCount = 10_000;
const callsPerRound = 50_000;
const rounds = 5;
const inFlight = 32;
const schedule = { idleTimeoutMs: 300_000, warningMs: 60_000, absoluteTimeoutMs: 43_200_000 };
/** The fields the store reads for a session (server/redis-store.ts FIELDS_AND_MARK). */
const recordFields = ['s', 'd', 'c', 'i', 'a', 'v', 'x'];

const measure = (call: () => Promise<unknown>) => cpuMicrosPerCall(call, { calls: callsPerRound, rounds, inFlight });

async function main(): Promise<void> {
  const prefix = benchRedisPrefix('calls');
  const figures: Record<string, Record<string, number>> = {};
  const clients: BenchRedisClient[] = [];
  try {
    for (const [setting, options] of [
      ['disableOfflineQueue', { disableOfflineQueue: true }],
      ['offline queue (default)', {}],
    ] as const) {
      const client = createClient({ url: redisUrl, ...options, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      const store = new RedisSessionStore({ client, prefix, expiryGraceMs: 60_000 });
      // As the server uses it: guarded, with the time bound it adopts (createIdleSession does this).
      const guarded = guardStore(store, { timeLimitMs: 2_000, now: Date.now, logger: console });
      const keys = Array.from({ length: sessionCount }, () => storeKeyFor(newSessionId()));
      for (let start = 0; start < keys.length; start += 500) {
        await Promise.all(keys.slice(start, start + 500).map((key, i) => guarded.create(key, newSessionRecord(`user-${start + i}`, undefined, Date.now(), schedule))));
      }
      const raw = client.withCommandOptions({ timeout: 0 });
      const pick = () => keys[Math.floor(Math.random() * keys.length)]!;
      figures[setting] = {
        hmGetMicros: await measure(() => raw.hmGet(prefix + pick(), recordFields)),
        getMicros: await measure(() => guarded.get(pick(), Date.now())),
        extendMicros: await measure(() => {
          const now = Date.now();
          return guarded.extend(pick(), now + schedule.idleTimeoutMs, now);
        }),
      };
    }
  } finally {
    if (clients[0]) process.stderr.write(`  deleted ${await deleteKeysUnder(clients[0], prefix)} Redis keys under ${prefix}\n`);
    for (const client of clients) client.destroy();
  }
  console.log(`CPU µs of the app process per call, ${sessionCount.toLocaleString('en-US')} sessions at random, ${inFlight} in flight (median of ${rounds} rounds of ${callsPerRound.toLocaleString('en-US')}):`);
  console.log('client                     plain HMGET  store get  store extend');
  for (const [setting, row] of Object.entries(figures)) {
    console.log(`${setting.padEnd(26)} ${String(row.hmGetMicros).padStart(11)}  ${String(row.getMicros).padStart(9)}  ${String(row.extendMicros).padStart(12)}`);
  }
  console.log(JSON.stringify(figures));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
