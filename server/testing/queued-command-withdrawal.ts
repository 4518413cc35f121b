// One outage check, run with each node-redis major the store supports (server/redis-store.test.ts
// with 6, server/redis-v5.test.ts with 5): a command given while Redis refuses connections waits in
// node-redis's offline queue, and the store must withdraw it once its time bound has passed
// (server/redis-withdrawal.ts) rather than leave it there until Redis is back.
import { expect, vi } from 'vitest';
import { RedisSessionStore, type RedisSessionClient } from '../redis-store.ts';
import { T0 } from './deadline-rule.ts';
import { testKey } from './redis.ts';
import type { TcpProxy } from './tcp-proxy.ts';

export interface QueuedCommandSetup {
  /** A connected client whose link to Redis goes through `proxy`, reconnecting on its own, offline queue on (the default). */
  client: RedisSessionClient & { readonly isReady: boolean };
  proxy: TcpProxy;
  /** A key prefix of the test's own. */
  prefix: string;
  /** The store's time bound (storeTimeoutMs), in ms. */
  boundMs: number;
}

/**
 * Cuts the proxy, sends one read while the client is offline, and expects it to fail with
 * node-redis's AbortError no sooner than the bound; leaves the client connected again.
 *
 * @example
 * const client = await connect({ url: proxy.url, socket: { reconnectStrategy: () => 50, connectTimeout: 500 } });
 * await expectQueuedCommandWithdrawn({ client, proxy, prefix: freshPrefix(), boundMs: 300 });
 */
export async function expectQueuedCommandWithdrawn({ client, proxy, prefix, boundMs }: QueuedCommandSetup): Promise<void> {
  const store = new RedisSessionStore({ client, prefix });
  store.adoptTimeLimit(boundMs);
  proxy.cut('refuse');
  await vi.waitFor(() => expect(client.isReady).toBe(false)); // from now on commands wait in node-redis's offline queue
  const startedAt = Date.now();
  const stillQueued = new Promise((resolve) => setTimeout(() => resolve('still queued'), boundMs + 2_000));
  const outcome = await Promise.race([store.get(testKey(1), T0).then(() => 'answered', (error: unknown) => error), stillQueued]);
  const waitedMs = Date.now() - startedAt;
  proxy.restore();
  await vi.waitFor(() => expect(client.isReady).toBe(true), { timeout: 5_000 }); // leave it connected, as the other tests do
  expect(outcome).toBeInstanceOf(Error);
  expect((outcome as Error).message).toMatch(/aborted/); // node-redis's AbortError: the withdrawal
  expect(waitedMs).toBeGreaterThanOrEqual(boundMs);
}
