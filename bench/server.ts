/**
 * `npm run bench:server` — idle-logout's server against a bare Hono route and two popular
 * session libraries, plus the memory store's size and expiry stall. One run, loopback only,
 * stops by itself (about two minutes on 2 cores).
 *
 * Each server runs in its own child process (bench/server-targets.ts) so autocannon, here,
 * never shares its event loop. Every row gets the same request (POST /session/keepalive,
 * body {"idleMs":0}, Sec-Fetch-Site: same-origin), the same 32 connections, the same warm-up
 * and the same duration. Rows that answered anything but 2xx are flagged, never dropped.
 *
 * Prints a table, then as the last line one JSON object with the figures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { DEFAULT_BASE_PATH, KEEPALIVE_PATH, encodeKeepaliveBody } from '../protocol/index.ts';
import type { BenchTargetName } from './server-targets.ts';

const connections = 32;
const warmupSeconds = 2;
const durationSeconds = 4;
const rounds = 5;
const memorySessionCount = 1_000_000;
const expirySessionCount = 100_000;
const expiryTrials = 3;
const keepaliveBody = encodeKeepaliveBody(0);
const keepalivePath = DEFAULT_BASE_PATH + KEEPALIVE_PATH;

const targets = {
  ratio: 0.8,
  keepaliveVsExpress: 5,
  redisRatio: 0.5,
  bytesPerSession: 300,
  expiryStallMs: 20,
};

const tsxLoader = import.meta.resolve('tsx');
const benchDir = new URL('.', import.meta.url);
const children = new Set<ChildProcess>();

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Forks a bench script with tsx, waits for its first IPC message (a result or `{ error }`). */
function runChild<T>(script: string, args: string[], nodeFlags: string[], timeoutMs: number) {
  const child = fork(fileURLToPath(new URL(script, benchDir)), args, {
    execArgv: [...nodeFlags, '--import', tsxLoader],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const firstMessage = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} ${args.join(' ')}: no answer in ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      const error = (message as { error?: string }).error;
      if (error) reject(new Error(`${script} ${args.join(' ')}: ${error}`));
      else resolve(message as T);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')} exited (${signal ?? code}) before answering`));
    });
  });
  const stop = () => {
    children.delete(child);
    child.kill('SIGKILL');
  };
  /** Asks a server child for its CPU time so far (user + system, µs). */
  const cpuMicros = () =>
    new Promise<number>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        const usage = (message as { cpuUsage?: NodeJS.CpuUsage }).cpuUsage;
        if (!usage) return;
        child.off('message', onMessage);
        resolve(usage.user + usage.system);
      };
      child.on('message', onMessage);
      if (!child.send('cpu-usage')) reject(new Error(`${script}: IPC channel closed`));
    });
  return { firstMessage, stop, cpuMicros };
}

interface Round {
  rps: number; // 2xx answers per second
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  serverCpuMicrosPerRequest: number;
}

interface ThroughputRow {
  name: BenchTargetName;
  rounds: Round[];
  rps: number | null; // median over the rounds
  problem?: string;
}

const requestHeaders = {
  'Content-Type': 'application/json',
  'Sec-Fetch-Site': 'same-origin',
};

/** Signs in once through the child's POST /login and returns the Cookie header to send. */
async function signIn(origin: string): Promise<string> {
  const response = await fetch(`${origin}/login`, {
    method: 'POST',
    headers: requestHeaders,
    body: JSON.stringify({ username: 'alice' }),
  });
  if (!response.ok) throw new Error(`POST /login answered ${response.status}: ${await response.text()}`);
  return response.headers
    .getSetCookie()
    .map((setCookie) => setCookie.split(';')[0])
    .join('; ');
}

/** One keepalive by hand: the row only counts if the server really answers 200 with a live session. */
async function checkKeepalive(origin: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(`${origin}${keepalivePath}`, { method: 'POST', headers, body: keepaliveBody });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"active"')) {
    throw new Error(`POST ${keepalivePath} answered ${response.status}: ${text}`);
  }
}

interface RunningTarget {
  name: BenchTargetName;
  origin: string;
  headers: Record<string, string>;
  stop: () => void;
  cpuMicros: () => Promise<number>;
}

/** Starts one target in its own process, signs in, checks one keepalive, warms it up. */
async function startTarget(name: BenchTargetName): Promise<RunningTarget> {
  const server = runChild<{ port: number }>('server-targets.ts', [name], [], 30_000);
  try {
    const { port } = await server.firstMessage;
    const origin = `http://127.0.0.1:${port}`;
    const headers: Record<string, string> = { ...requestHeaders };
    if (name !== 'bare') headers.Cookie = await signIn(origin);
    await checkKeepalive(origin, headers);
    // Same warm-up for every row, not counted: lets the JIT settle before the first round.
    await autocannon({ url: `${origin}${keepalivePath}`, method: 'POST', headers, body: keepaliveBody, connections, duration: warmupSeconds });
    return { name, origin, headers, stop: server.stop, cpuMicros: server.cpuMicros };
  } catch (error) {
    server.stop();
    throw error;
  }
}

async function runRound(target: RunningTarget): Promise<Round> {
  const cpuBefore = await target.cpuMicros();
  const result = await autocannon({
    url: `${target.origin}${keepalivePath}`,
    method: 'POST',
    headers: target.headers,
    body: keepaliveBody,
    connections,
    duration: durationSeconds,
  });
  const cpuAfter = await target.cpuMicros();
  // Still signed in after the round? (A session that died mid-round shows as non-2xx too.)
  await checkKeepalive(target.origin, target.headers);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = Number((stats as { count: number | string }).count);
  }
  return {
    rps: Math.round(result['2xx'] / result.duration),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    serverCpuMicrosPerRequest: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * Loopback throughput on a shared 2-core box swings by ±20 % from one run to the next, so every
 * row runs `rounds` times, interleaved and in a rotating order (no row always goes first), and
 * the median counts. All servers stay up for the whole phase; an idle one costs no CPU.
 */
async function measureThroughput(names: readonly BenchTargetName[]): Promise<ThroughputRow[]> {
  const rows = new Map<BenchTargetName, ThroughputRow>();
  const running: RunningTarget[] = [];
  try {
    for (const name of names) {
      rows.set(name, { name, rounds: [], rps: null });
      try {
        process.stderr.write(`  starting ${name}…\n`);
        running.push(await startTarget(name));
      } catch (error) {
        rows.get(name)!.problem = firstLine(error);
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < running.length; i++) {
        const target = running[(i + round) % running.length]!;
        const row = rows.get(target.name)!;
        if (row.problem) continue;
        process.stderr.write(`  round ${round + 1}/${rounds}: ${target.name}…\n`);
        try {
          row.rounds.push(await runRound(target));
        } catch (error) {
          row.problem = firstLine(error);
        }
      }
    }
  } finally {
    for (const target of running) target.stop();
  }
  for (const row of rows.values()) {
    if (!row.problem && row.rounds.length > 0) row.rps = Math.round(median(row.rounds.map((round) => round.rps)));
  }
  return [...rows.values()];
}

interface MemoryResult {
  count: number;
  bytesPerSession: number;
  heapBytesPerSession: number;
  arrayBufferBytesPerSession: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  fillMs: number;
}

interface ExpiryResult {
  count: number;
  sizeBefore: number;
  sizeAfter: number;
  ended: number;
  reasons: Record<string, number>;
  allEndedMs: number;
  maxStallMs: number;
  maxBusyMs: number;
  controlStallMs: number;
  controlBusyMs: number;
  gcCount: number;
  maxGcPauseMs: number;
  eventLoopDelayMaxMs: number;
}

async function measureInChild<T>(script: string, count: number): Promise<T | { problem: string }> {
  const child = runChild<T>(script, [String(count)], ['--expose-gc', '--max-old-space-size=4096'], 120_000);
  try {
    return await child.firstMessage;
  } catch (error) {
    return { problem: firstLine(error) };
  } finally {
    child.stop();
  }
}

function formatNumber(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? 'n/a'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function roundTo(value: number | null, digits: number): number | null {
  return value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
}

function verdict(ok: boolean | null): string {
  return ok === null ? 'n/a' : ok ? 'pass' : 'MISS';
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  console.log(
    `idle-logout server bench — node ${process.version}, loopback, autocannon ${connections} connections, ` +
      `${warmupSeconds} s warm-up, then ${rounds} rounds of ${durationSeconds} s per row, POST ${keepalivePath} ${keepaliveBody}\n`,
  );

  const rows = await measureThroughput(['bare', 'keepalive', 'keepalive-redis', 'express-session', 'hono-sessions']);
  process.stderr.write(`  measuring bytes per session (${formatNumber(memorySessionCount)} sessions)…\n`);
  const memory = await measureInChild<MemoryResult>('session-memory.ts', memorySessionCount);
  // A longest stall is a maximum, so one burst of other work on the machine decides it: run
  // the trial ${expiryTrials} times in fresh processes and take the median trial (all are shown).
  const trials: ExpiryResult[] = [];
  let expiry: ExpiryResult | { problem: string } = { problem: 'not run' };
  for (let trial = 1; trial <= expiryTrials; trial++) {
    process.stderr.write(`  measuring the stall while ${formatNumber(expirySessionCount)} sessions expire (${trial}/${expiryTrials})…\n`);
    const result = await measureInChild<ExpiryResult>('expiry-stall.ts', expirySessionCount);
    if ('problem' in result) {
      expiry = result;
      break;
    }
    trials.push(result);
  }
  if (trials.length === expiryTrials) expiry = [...trials].sort((a, b) => a.maxStallMs - b.maxStallMs)[expiryTrials >> 1]!;

  const rowByName = (name: BenchTargetName) => rows.find((row) => row.name === name)!;
  const bareRps = rowByName('bare').rps;
  const keepaliveRps = rowByName('keepalive').rps;
  const expressSessionRps = rowByName('express-session').rps;
  const honoSessionsRps = rowByName('hono-sessions').rps;
  const divide = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100);

  const totals = (row: ThroughputRow) => {
    const sum = (pick: (round: Round) => number) => row.rounds.reduce((total, round) => total + pick(round), 0);
    const statusCodes: Record<string, number> = {};
    for (const round of row.rounds) {
      for (const [code, n] of Object.entries(round.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
    }
    return { requests: sum((r) => r.requests), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), statusCodes };
  };
  // Server CPU per request, median over the rounds: a cross-check on req/s that other work on the
  // box disturbs far less. "CPU vs bare" = bare's µs / this row's µs (1.00 = as cheap as bare).
  const cpuPerRequest = (row: ThroughputRow) =>
    row.rps === null || row.rounds.length === 0 ? null : median(row.rounds.map((round) => round.serverCpuMicrosPerRequest));
  const bareRow = rowByName('bare');
  const flag = (n: number) => (n > 0 ? `${formatNumber(n)} !` : '0');

  console.log(`Throughput: 2xx answers per second, median of ${rounds} interleaved rounds (each round's figure in brackets)`);
  printTable(
    ['row', 'req/s', 'vs bare', 'rounds', 'CPU µs/req', 'CPU vs bare', 'requests', 'non-2xx', 'errors', 'timeouts', 'p50 ms', 'p99 ms', 'status codes'],
    rows.map((row) => {
      const total = totals(row);
      const medianRound = row.rounds.find((round) => round.rps === row.rps) ?? row.rounds[0];
      return [
        row.name,
        formatNumber(row.rps),
        formatNumber(divide(row.rps, bareRps), 2),
        row.rounds.map((round) => formatNumber(round.rps)).join(' / ') || '-',
        formatNumber(cpuPerRequest(row), 1),
        formatNumber(divide(cpuPerRequest(bareRow), cpuPerRequest(row)), 2),
        formatNumber(total.requests),
        flag(total.non2xx),
        flag(total.errors),
        flag(total.timeouts),
        formatNumber(medianRound?.latencyP50Ms),
        formatNumber(medianRound?.latencyP99Ms),
        row.problem ? `FAILED: ${row.problem}` : Object.entries(total.statusCodes).map(([code, n]) => `${code}×${n}`).join(' '),
      ];
    }),
  );

  console.log('\nMemory store');
  const memoryRows: string[][] = [];
  if ('problem' in memory) {
    memoryRows.push(['bytes per session', 'n/a', `FAILED: ${memory.problem}`]);
  } else {
    memoryRows.push([
      'bytes per session',
      formatNumber(memory.bytesPerSession),
      `${formatNumber(memory.heapBytesPerSession)} on the V8 heap (heapUsed ${formatNumber(memory.heapBeforeBytes / 2 ** 20, 1)} → ` +
        `${formatNumber(memory.heapAfterBytes / 2 ** 20, 1)} MiB) + ${formatNumber(memory.arrayBufferBytesPerSession)} in typed arrays ` +
        `(arrayBuffers) for ${formatNumber(memory.count)} sessions, created in ${formatNumber(memory.fillMs)} ms`,
    ]);
  }
  if ('problem' in expiry) {
    memoryRows.push(['longest stall, mass expiry', 'n/a', `FAILED: ${expiry.problem}`]);
  } else {
    memoryRows.push([
      'longest stall, mass expiry',
      `${formatNumber(expiry.maxStallMs, 1)} ms`,
      `median of ${expiryTrials} trials: ${trials.map((t) => `${formatNumber(t.maxStallMs, 1)} ms (${formatNumber(t.maxBusyMs, 1)} ms CPU)`).join(', ')}; ` +
        `in the median trial: ${formatNumber(expiry.ended)}/${formatNumber(expiry.count)} onSessionEnd ` +
        `(${Object.entries(expiry.reasons).map(([reason, n]) => `${reason}×${n}`).join(' ') || 'none'}) in ${formatNumber(expiry.allEndedMs)} ms; ` +
        `store ${formatNumber(expiry.sizeBefore)} → ${formatNumber(expiry.sizeAfter)}; ` +
        `monitorEventLoopDelay max ${formatNumber(expiry.eventLoopDelayMaxMs, 1)} ms; ` +
        `longest GC pause ${formatNumber(expiry.maxGcPauseMs, 1)} ms; ` +
        `control with nothing due ${formatNumber(expiry.controlStallMs, 1)} ms (${formatNumber(expiry.controlBusyMs, 1)} ms CPU)` +
        (trials.every((t) => t.ended === t.count && t.sizeAfter === 0) ? '' : '  ! not all sessions ended exactly once in every trial'),
    ]);
  }
  printTable(['measure', 'value', 'detail'], memoryRows);

  const ratio = divide(keepaliveRps, bareRps);
  const redisKeepaliveRps = rowByName('keepalive-redis').rps;
  const redisRatio = divide(redisKeepaliveRps, bareRps);
  const keepaliveVsExpress = divide(keepaliveRps, expressSessionRps);
  const keepaliveVsHonoSessions = divide(keepaliveRps, honoSessionsRps);
  const bytesPerSession = 'problem' in memory ? null : memory.bytesPerSession;
  const expiryComplete = trials.length === expiryTrials && trials.every((t) => t.ended === t.count && t.sizeAfter === 0);
  const expiryStallMs = 'problem' in expiry ? null : expiry.maxStallMs;
  const cleanRow = (name: BenchTargetName) => {
    const row = rowByName(name);
    const total = totals(row);
    return row.rps !== null && total.non2xx === 0 && total.errors === 0 && total.timeouts === 0;
  };

  console.log('\nTargets');
  printTable(
    ['target', 'wanted', 'measured', 'verdict'],
    [
      ['keepalive / bare', `≥ ${targets.ratio}`, formatNumber(ratio, 2), verdict(ratio === null ? null : ratio >= targets.ratio && cleanRow('keepalive'))],
      ['keepalive / express-session', `≥ ${targets.keepaliveVsExpress}×`, formatNumber(keepaliveVsExpress, 2), verdict(keepaliveVsExpress === null ? null : keepaliveVsExpress >= targets.keepaliveVsExpress && cleanRow('keepalive'))],
      ['redis keepalive / bare', `≥ ${targets.redisRatio}`, formatNumber(redisRatio, 2), verdict(redisRatio === null ? null : redisRatio >= targets.redisRatio && cleanRow('keepalive-redis'))],
      ['bytes per session (1M)', `≤ ${targets.bytesPerSession}`, formatNumber(bytesPerSession), verdict(bytesPerSession === null ? null : bytesPerSession <= targets.bytesPerSession)],
      ['stall, 100k expire at once', `≤ ${targets.expiryStallMs} ms`, expiryStallMs === null ? 'n/a' : `${formatNumber(expiryStallMs, 1)} ms${expiryComplete ? '' : ' (not all ended!)'}`, verdict(expiryStallMs === null ? null : expiryStallMs <= targets.expiryStallMs && expiryComplete)],
    ],
  );
  const dirtyRows = rows.filter((row) => row.rps !== null && !cleanRow(row.name)).map((row) => row.name);
  if (dirtyRows.length > 0) console.log(`\n! rows with non-2xx answers, errors or timeouts: ${dirtyRows.join(', ')}`);
  const loadAfter = Math.round(loadavg()[0]! * 100) / 100;
  console.log(`\n(total ${formatNumber((Date.now() - startedAt) / 1000, 0)} s; 1-min load average ${loadBefore} before, ${loadAfter} after on ${cpus().length} CPUs` +
    `${loadBefore > 0.5 ? ' — other work was running when the bench started, figures may be low' : ''})`);

  console.log(
    JSON.stringify({
      bareRps,
      keepaliveRps,
      ratio,
      expressSessionRps,
      honoSessionsRps,
      keepaliveVsExpress,
      keepaliveVsHonoSessions,
      redisKeepaliveRps,
      redisRatio,
      bytesPerSession,
      heapBytesPerSession: 'problem' in memory ? null : memory.heapBytesPerSession,
      expiryStallMs,
      expiryBusyMs: 'problem' in expiry ? null : expiry.maxBusyMs,
      expiryStallTrialsMs: trials.map((t) => t.maxStallMs),
      expiryEnded: 'problem' in expiry ? null : expiry.ended,
      expiryControlStallMs: 'problem' in expiry ? null : expiry.controlStallMs,
      keepaliveCpuMicrosPerRequest: roundTo(cpuPerRequest(rowByName('keepalive')), 1),
      bareCpuMicrosPerRequest: roundTo(cpuPerRequest(bareRow), 1),
      cpuRatio: divide(cpuPerRequest(bareRow), cpuPerRequest(rowByName('keepalive'))),
      loadAverage: [loadBefore, loadAfter],
      keepaliveNon2xx: totals(rowByName('keepalive')).non2xx,
      rounds,
      connections,
      durationSeconds,
      node: process.version,
    }),
  );
}

main().then(
  () => {
    killChildren();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    killChildren();
    process.exit(1);
  },
);
