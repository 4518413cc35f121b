// Which session store the demo runs on, from SESSION_STORE: the embedded memory store, or Redis at
// REDIS_URL so that several demo processes (different PORTs) share sessions.
import { createClient } from 'redis';
import { MemorySessionStore, type SessionStore } from '../server/index.ts';
import { RedisSessionStore } from '../server/redis.ts';
import type { DemoConfig } from './config.ts';

export interface DemoStore {
  store: SessionStore;
  close(): Promise<void>;
}

/** How long the demo waits for Redis at start before it says so and exits. */
const REDIS_CONNECT_TIMEOUT_MS = 3_000;

export async function createDemoStore(config: DemoConfig): Promise<DemoStore> {
  if (config.sessionStore === 'redis') return createRedisStore(config.redisUrl);
  return { store: new MemorySessionStore(), close: async () => {} };
}

async function createRedisStore(url: string): Promise<DemoStore> {
  // The client settings docs/redis.md recommends: fail fast while Redis is away (the server answers
  // 503 and the browser retries) and reconnect quickly once it is back.
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
  });
  // node-redis emits 'error' on every failed reconnect; without a listener Node would crash.
  let lastReport = '';
  client.on('error', (error: Error) => {
    if (error.message !== lastReport) console.error(`redis (${url}): ${error.message}`);
    lastReport = error.message;
  });
  client.on('ready', () => {
    if (lastReport !== '') console.log(`redis (${url}): connected again`);
    lastReport = '';
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`Redis at ${url} did not answer within ${REDIS_CONNECT_TIMEOUT_MS} ms; start redis-server or set REDIS_URL`)), REDIS_CONNECT_TIMEOUT_MS).unref(),
  );
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (error) {
    client.destroy();
    throw error;
  }
  return {
    store: new RedisSessionStore({ client }),
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
