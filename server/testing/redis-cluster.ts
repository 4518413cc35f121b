// A real Redis Cluster of the test's own: 3 masters and 3 replicas (redis-server
// --cluster-enabled yes ×6, then redis-cli --cluster create), on free loopback ports, each node in
// a temp dir, never persisted. Failover tests SIGKILL a master; stop() kills every node this
// helper started (by its own child process, nothing else) and removes the dirs.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { freePort, REDIS_SERVER_BINARY } from './private-redis.ts';
import { IN_CI, whyRedisIsDown } from './redis.ts';

export const REDIS_CLI_BINARY = process.env.REDIS_CLI_BINARY ?? '/usr/bin/redis-cli';
/** How long a master may be unreachable before its replica takes over (Redis's default is 15 s). */
export const CLUSTER_NODE_TIMEOUT_MS = 1_000;
const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  url: string;
}

export interface LocalRedisCluster {
  /** Every node started, masters and replicas (the client discovers the rest from any of them). */
  nodes: ClusterNode[];
  /** The nodes that are masters now, each with the slot ranges it serves and its replicas' ports (CLUSTER NODES). */
  masters(): Promise<{ port: number; url: string; slots: [number, number][]; replicas: number[] }[]>;
  /** SIGKILL one node, as a crash would; resolves once the process is gone. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again (same port, same cluster identity), and waits until the cluster is healthy. */
  revive(port: number): Promise<void>;
  /** Until every slot is served by a live master again (cluster_state:ok on every live node). */
  untilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Why `suite` cannot start a local cluster here (then skipped, with a warning), or undefined.
 * Under CI=true a missing binary fails the run instead.
 */
export function localClusterUnavailableFor(suite: string): string | undefined {
  const missing = [REDIS_SERVER_BINARY, REDIS_CLI_BINARY].find((binary) => !existsSync(binary));
  if (!missing) return undefined;
  const why = `${missing} does not exist`;
  if (IN_CI) throw new Error(`CI=true: the ${suite} must run, but ${why}. Install redis-server and redis-cli (or set REDIS_SERVER_BINARY / REDIS_CLI_BINARY).`);
  console.warn(`Skipping the ${suite}: ${why}. Install redis-server and redis-cli to run it.`);
  return why;
}

/** A port whose cluster bus port (+10 000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port)) continue;
    const bus = await freePort();
    if (bus === port + 10_000) continue; // the kernel handed it out: free now, but try another
    taken.add(port);
    return port;
  }
}

async function cli(...args: string[]): Promise<string> {
  return (await run(REDIS_CLI_BINARY, args, { timeout: 30_000 })).stdout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @example
 * const cluster = await startLocalCluster();
 * const client = createCluster({ rootNodes: cluster.nodes.map(({ url }) => ({ url })) });
 * // …
 * await cluster.stop();
 */
export async function startLocalCluster(): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'idle-logout-cluster-'));
  const taken = new Set<number>();
  const children = new Map<number, ChildProcess>();
  const exits = new Map<number, Promise<void>>();
  const killAll = () => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // A test process that dies (a timeout, Ctrl-C) must not leave six redis-servers behind.
  process.once('exit', killAll);
  const stop = async () => {
    killAll();
    process.off('exit', killAll);
    await Promise.all(exits.values());
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freeClusterPort(taken));
    const startNode = (port: number) => {
      const child = spawn(
        REDIS_SERVER_BINARY,
        [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
          '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
          '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
          '--appendonly', 'no', '--save', '', '--daemonize', 'no',
          '--enable-debug-command', 'local',
        ],
        { stdio: 'ignore' },
      );
      children.set(port, child);
      exits.set(port, new Promise((resolve) => child.once('exit', () => resolve())));
      return child;
    };
    for (const port of ports) startNode(port);
    for (const port of ports) await untilAnswers(port, children.get(port)!);
    await cli('--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes');
    const cluster: LocalRedisCluster = {
      nodes: ports.map((port) => ({ port, url: `redis://127.0.0.1:${port}` })),
      masters: () => mastersOf(ports.filter((port) => children.get(port)!.exitCode === null && children.get(port)!.signalCode === null)),
      async kill(port) {
        children.get(port)!.kill('SIGKILL');
        await exits.get(port);
      },
      async revive(port) {
        // Its nodes-<port>.conf keeps its identity: it rejoins as a replica of whoever took over.
        await untilAnswers(port, startNode(port));
        await cluster.untilHealthy();
      },
      async untilHealthy(timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const live = ports.filter((port) => children.get(port)!.signalCode === null && children.get(port)!.exitCode === null);
          const states = await Promise.all(live.map((port) => cli('-p', String(port), 'cluster', 'info').catch(() => '')));
          const replicasUp = await Promise.all(live.map((port) => cli('-p', String(port), 'info', 'replication').catch(() => '')));
          const ok = states.every((info) => info.includes('cluster_state:ok'));
          // A replica still loading its first sync cannot take over: wait for every link to be up.
          const synced = replicasUp.every((info) => !info.includes('role:slave') || info.includes('master_link_status:up'));
          if (ok && synced) return;
          if (Date.now() > deadline) throw new Error(`the local Redis Cluster did not become healthy within ${timeoutMs} ms`);
          await sleep(100);
        }
      },
      stop,
    };
    await cluster.untilHealthy();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function untilAnswers(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await whyRedisIsDown(`redis://127.0.0.1:${port}`)) !== undefined) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server --cluster-enabled on port ${port} did not start (exit code ${String(child.exitCode)})`);
    await sleep(50);
  }
}

/** CLUSTER NODES as seen by the first live node that answers: the masters that are not failed. */
async function mastersOf(livePorts: number[]) {
  for (const port of livePorts) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      const lines = String(await client.sendCommand(['CLUSTER', 'NODES'])).trim().split('\n');
      await client.close();
      // <id> <ip:port@bus> <flags> <master id or -> <ping> <pong> <epoch> <link> <slot ranges...>
      const nodes = lines.map((line) => line.split(' ')).map((fields) => ({ fields, port: Number(fields[1]!.split('@')[0]!.split(':')[1]) }));
      return nodes
        .filter(({ fields }) => fields[2]!.includes('master') && !fields[2]!.includes('fail'))
        .map(({ fields, port }) => {
          const slots = fields.slice(8).filter((range) => !range.startsWith('[')).map((range) => range.split('-').map(Number) as [number, number]);
          const replicas = nodes.filter((node) => node.fields[3] === fields[0] && !node.fields[2]!.includes('fail')).map((node) => node.port);
          return { port, url: `redis://127.0.0.1:${port}`, slots: slots.map(([from, to]) => [from, to ?? from] as [number, number]), replicas };
        })
        .filter((master) => master.slots.length > 0);
    } catch {
      client.destroy();
    }
  }
  throw new Error('no node of the local Redis Cluster answered CLUSTER NODES');
}
