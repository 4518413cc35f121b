// A TCP proxy between one Redis client and Redis that a test can cut, pause and restore: how the
// Redis suites make a link stall (a partition, a GC pause, a TCP retransmit) or a Redis stop
// answering for ONE server instance while the others still reach it directly.
import { createServer, Socket, type Server } from 'node:net';

export interface TcpProxy {
  /** `redis://127.0.0.1:<port>`: give it to the client whose link the test controls. */
  url: string;
  /**
   * 'refuse': connections are reset and new ones refused (Redis stopped). 'stall': bytes stop
   * flowing both ways and are held, in order, until `restore()` (a partition; nothing is lost).
   * 'hold-replies': commands reach Redis, which runs them at once, but its answers are held.
   */
  cut(mode: 'refuse' | 'stall' | 'hold-replies'): void;
  /** Opens the link again; held bytes are delivered first, in order. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  downstream: Socket;
  upstream: Socket | undefined;
  toRedis: Buffer[];
  toClient: Buffer[];
}

/**
 * Starts a proxy to `target` (a redis:// URL) on a free loopback port.
 *
 * @example
 * const proxy = await startTcpProxy(new URL('redis://127.0.0.1:6379'));
 * const client = createClient({ url: proxy.url });
 * proxy.cut('stall'); // commands sent now reach Redis only after proxy.restore()
 */
export async function startTcpProxy(target: URL): Promise<TcpProxy> {
  let state: 'open' | 'refuse' | 'stall' | 'hold-replies' = 'open';
  const pairs = new Set<Pair>();

  function flush(pair: Pair): void {
    for (const chunk of pair.toRedis.splice(0)) pair.upstream?.write(chunk);
    for (const chunk of pair.toClient.splice(0)) pair.downstream.write(chunk);
  }

  function connectUpstream(pair: Pair): void {
    const upstream = new Socket();
    pair.upstream = upstream;
    upstream.connect(Number(target.port || 6379), target.hostname);
    upstream.on('data', (chunk) => (state === 'open' ? pair.downstream.write(chunk) : pair.toClient.push(chunk)));
    upstream.on('error', () => pair.downstream.destroy());
    upstream.on('close', () => pair.downstream.destroy());
    flush(pair);
  }

  const server: Server = createServer((downstream) => {
    if (state === 'refuse') {
      downstream.resetAndDestroy();
      return;
    }
    const pair: Pair = { downstream, upstream: undefined, toRedis: [], toClient: [] };
    pairs.add(pair);
    const toRedisFlows = () => state === 'open' || state === 'hold-replies';
    downstream.on('data', (chunk) => (toRedisFlows() && pair.upstream ? pair.upstream.write(chunk) : pair.toRedis.push(chunk)));
    downstream.on('error', () => pair.upstream?.destroy());
    downstream.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (toRedisFlows()) connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `redis://127.0.0.1:${port}`,
    cut(mode) {
      state = mode;
      if (mode === 'refuse') for (const pair of pairs) pair.downstream.resetAndDestroy();
    },
    restore() {
      state = 'open';
      for (const pair of pairs) (pair.upstream ? flush(pair) : connectUpstream(pair));
    },
    close() {
      for (const pair of pairs) pair.downstream.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
