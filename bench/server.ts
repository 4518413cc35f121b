/**
 * `npm run bench:server` — idle-logout's server against a bare Hono route and two popular
 * session libraries, plus the memory store's size and expiry stall. One run, loopback only,
 * stops by itself (about four minutes on 2 cores).
 *
 * Each server runs in its own child process (bench/server-targets.ts, compiled as an app ships
 * it, not through tsx: bench/load.ts compiledBenchScript) so autocannon, here, never shares its
 * event loop. Every row gets the same 32 connections, the same warm-up and the
 * same duration. Rows that answered anything but 2xx are flagged, never dropped.
 *
 * Two sets of rows, interleaved in one run:
 * - one session: every row sends POST /session/keepalive, body {"idleMs":0}, Sec-Fetch-Site:
 *   same-origin, with the one cookie it signed in with (the rows the earlier rounds reported);
 * - `@100k`: 100 000 live sessions, each request carrying a random one's cookie, as real traffic
 *   does: an ordinary GET of an app route through `idle.middleware` (extends), the same GET
 *   marked background (`Idle-Logout-Background: 1`, reads only) and the keepalive, on the memory
 *   store and on Redis, each against the bare route sent the same random cookies; `bare-redis`
 *   rows are the floor under the Redis ones (the bare route plus one plain HMGET). Redis rows also
 *   show Redis's own CPU per request (INFO CPU; the whole Redis, so other work on it counts too).
 *   The Redis keys live under a prefix of this run's own and are deleted at the end.
 *
 * Prints tables, then as the last line one JSON object with the figures.
 */
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { checkRow, connections, keepaliveBody, keepalivePath, killChildren, loadOptions, runChild, runParent, startTarget, type RequestKind, type RowSpec, type RunningTarget } from './load.ts';
import { benchRedisPrefix, connectBenchRedis, deleteKeysUnder, redisCpuMicros, type BenchRedisClient } from './redis-keys.ts';
import type { BenchTargetName } from './server-targets.ts';

// BENCH_DURATION_S / BENCH_ROUNDS shorten a run while working on the bench; the figures need the defaults.
const warmupSeconds = 2;
const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const manySessionCount = 100_000;
const memorySessionCount = 1_000_000;
const expirySessionCount = 100_000;
const expiryTrials = 3;
const redisPrefix = benchRedisPrefix('bench');

const targets = {
  ratio: 0.8,
  keepaliveVsExpress: 5,
  redisRatio: 0.5,
  bytesPerSession: 300,
  expiryStallMs: 20,
};

const oneSessionRows: RowSpec[] = [
  { name: 'bare', target: 'bare', request: 'keepalive', randomSessions: false },
  { name: 'keepalive', target: 'keepalive', request: 'keepalive', randomSessions: false },
  { name: 'keepalive-redis', target: 'keepalive-redis', request: 'keepalive', randomSessions: false },
  { name: 'express-session', target: 'express-session', request: 'keepalive', randomSessions: false },
  { name: 'hono-sessions', target: 'hono-sessions', request: 'keepalive', randomSessions: false },
];
const many = (name: string, target: BenchTargetName, request: RequestKind, versus?: RowSpec['versus']): RowSpec => ({
  name: `${name}@100k`,
  target,
  request,
  randomSessions: true,
  ...(versus ? { versus } : {}),
});
const manySessionRows: RowSpec[] = [
  many('bare-get', 'bare', 'get'),
  many('bare-keepalive', 'bare', 'keepalive'),
  many('memory-get', 'keepalive', 'get', { bare: 'bare-get@100k', wanted: 0.9 }),
  many('memory-background', 'keepalive', 'background', { bare: 'bare-get@100k', wanted: 0.9 }),
  many('memory-keepalive', 'keepalive', 'keepalive', { bare: 'bare-keepalive@100k', wanted: 0.8 }),
  // The floor under the Redis rows: a bare route plus one plain Redis round trip, no session logic.
  many('bare-redis-get', 'bare-redis', 'get', { bare: 'bare-get@100k' }),
  many('bare-redis-keepalive', 'bare-redis', 'keepalive', { bare: 'bare-keepalive@100k' }),
  many('redis-get', 'keepalive-redis', 'get', { bare: 'bare-get@100k', wanted: 0.5 }),
  many('redis-background', 'keepalive-redis', 'background', { bare: 'bare-get@100k', wanted: 0.6 }),
  many('redis-keepalive', 'keepalive-redis', 'keepalive', { bare: 'bare-keepalive@100k', wanted: 0.5 }),
];
/** Targets that file the many sessions (the bare rows borrow their ids: same cookie bytes). */
const seededTargets = new Set<BenchTargetName>(['keepalive', 'keepalive-redis']);
/** Targets whose requests each go to Redis: their rows also show Redis's own CPU per request. */
const redisTargets = new Set<BenchTargetName>(['keepalive-redis', 'bare-redis']);

/** Deletes this run's Redis keys (at most once); reports how many, or why it could not. */
let redisCleanup: Promise<void> | undefined;
function cleanUpRedis(): Promise<void> {
  redisCleanup ??= (async () => {
    try {
      const client = await connectBenchRedis();
      try {
        process.stderr.write(`  deleted ${await deleteKeysUnder(client, redisPrefix)} Redis keys under ${redisPrefix}\n`);
      } finally {
        client.destroy();
      }
    } catch (error) {
      process.stderr.write(`  ! could not delete the Redis keys under ${redisPrefix}: ${firstLine(error)}\n`);
    }
  })();
  return redisCleanup;
}

process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    void cleanUpRedis().finally(() => process.exit(130));
  });
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
  /** Redis rows: Redis's CPU per request over the round. */
  redisCpuMicrosPerRequest?: number;
}

interface ThroughputRow {
  spec: RowSpec;
  name: string;
  rounds: Round[];
  rps: number | null; // median over the rounds
  problem?: string;
}

async function runRound(spec: RowSpec, target: RunningTarget, manyCookies: string[], redis: BenchRedisClient | undefined): Promise<Round> {
  const usesRedis = redis !== undefined && redisTargets.has(spec.target);
  const redisCpuBefore = usesRedis ? await redisCpuMicros(redis) : 0;
  const cpuBefore = await target.cpuMicros();
  const result = await autocannon(loadOptions(spec, target, manyCookies, durationSeconds));
  const cpuAfter = await target.cpuMicros();
  const redisCpuAfter = usesRedis ? await redisCpuMicros(redis) : 0;
  // Still signed in after the round? (A session that died mid-round shows as non-2xx too.)
  await checkRow(spec, target, manyCookies);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = Number((stats as { count: number | string }).count);
  }
  const requests = Math.max(1, result.requests.total);
  return {
    rps: Math.round(result['2xx'] / result.duration),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    serverCpuMicrosPerRequest: (cpuAfter - cpuBefore) / requests,
    ...(usesRedis ? { redisCpuMicrosPerRequest: (redisCpuAfter - redisCpuBefore) / requests } : {}),
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
 * the median counts. All servers stay up for the whole phase; an idle one costs no CPU. Every
 * row is warmed up with its own request first (not counted), so the JIT has settled.
 */
async function measureThroughput(specs: readonly RowSpec[], redis: BenchRedisClient | undefined): Promise<ThroughputRow[]> {
  const rows = specs.map((spec): ThroughputRow => ({ spec, name: spec.name, rounds: [], rps: null }));
  const running = new Map<BenchTargetName, RunningTarget>();
  const targetProblems = new Map<BenchTargetName, string>();
  try {
    for (const name of new Set(specs.map((spec) => spec.target))) {
      try {
        process.stderr.write(`  starting ${name}${seededTargets.has(name) ? ` with ${formatNumber(manySessionCount)} sessions` : ''}…\n`);
        running.set(name, await startTarget(name, seededTargets.has(name) ? manySessionCount : 0, { BENCH_REDIS_PREFIX: redisPrefix }));
      } catch (error) {
        targetProblems.set(name, firstLine(error));
      }
    }
    // A seeded target's rows use its own sessions; the bare rows borrow any (same cookie bytes).
    const anyCookies = [...running.values()].find((target) => target.manyCookies)?.manyCookies ?? [];
    const cookiesOf = (row: ThroughputRow) => running.get(row.spec.target)?.manyCookies ?? anyCookies;
    const live: ThroughputRow[] = [];
    for (const row of rows) {
      const target = running.get(row.spec.target);
      const manyCookies = cookiesOf(row);
      if (!target) row.problem = targetProblems.get(row.spec.target) ?? 'not started';
      else if (row.spec.randomSessions && manyCookies.length === 0) row.problem = 'no target filed the many sessions';
      else {
        try {
          await checkRow(row.spec, target, manyCookies);
          await autocannon(loadOptions(row.spec, target, manyCookies, warmupSeconds));
          live.push(row);
        } catch (error) {
          row.problem = firstLine(error);
        }
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < live.length; i++) {
        const row = live[(i + round) % live.length]!;
        if (row.problem) continue;
        process.stderr.write(`  round ${round + 1}/${rounds}: ${row.name}…\n`);
        try {
          row.rounds.push(await runRound(row.spec, running.get(row.spec.target)!, cookiesOf(row), redis));
        } catch (error) {
          row.problem = firstLine(error);
        }
      }
    }
  } finally {
    for (const target of running.values()) target.stop();
  }
  for (const row of rows) {
    if (!row.problem && row.rounds.length > 0) row.rps = Math.round(median(row.rounds.map((round) => round.rps)));
  }
  return rows;
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

/** The one-session rows' table, and the many-session rows' with their ratio to their bare row. */
function printThroughput(rows: ThroughputRow[], title: string): void {
  const rowByName = (name: string) => rows.find((row) => row.name === name);
  console.log(`${title}: 2xx answers per second, median of ${rounds} interleaved rounds (each round's figure in brackets)`);
  printTable(
    ['row', 'req/s', 'vs bare', 'rounds', 'CPU µs/req', 'CPU vs bare', 'Redis CPU µs/req', 'requests', 'non-2xx', 'errors', 'timeouts', 'p50 ms', 'p99 ms', 'status codes'],
    rows.map((row) => {
      const total = totals(row);
      const bare = rowByName(row.spec.versus?.bare ?? 'bare') ?? row;
      const medianRound = row.rounds.find((round) => round.rps === row.rps) ?? row.rounds[0];
      return [
        row.name,
        formatNumber(row.rps),
        formatNumber(divide(row.rps, bare.rps), 2),
        row.rounds.map((round) => formatNumber(round.rps)).join(' / ') || '-',
        formatNumber(cpuPerRequest(row), 1),
        formatNumber(divide(cpuPerRequest(bare), cpuPerRequest(row)), 2),
        redisTargets.has(row.spec.target) ? formatNumber(redisCpuPerRequest(row), 1) : '',
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
}

function divide(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100;
}

function totals(row: ThroughputRow) {
  const sum = (pick: (round: Round) => number) => row.rounds.reduce((total, round) => total + pick(round), 0);
  const statusCodes: Record<string, number> = {};
  for (const round of row.rounds) {
    for (const [code, n] of Object.entries(round.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  }
  return { requests: sum((r) => r.requests), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), statusCodes };
}

/**
 * Server CPU per request, median over the rounds: a cross-check on req/s that other work on the
 * box disturbs far less. "CPU vs bare" = bare's µs / this row's µs (1.00 = as cheap as bare).
 */
function cpuPerRequest(row: ThroughputRow): number | null {
  return row.rps === null || row.rounds.length === 0 ? null : median(row.rounds.map((round) => round.serverCpuMicrosPerRequest));
}

function redisCpuPerRequest(row: ThroughputRow): number | null {
  const figures = row.rounds.flatMap((round) => (round.redisCpuMicrosPerRequest === undefined ? [] : [round.redisCpuMicrosPerRequest]));
  return row.rps === null || figures.length === 0 ? null : median(figures);
}

function flag(n: number): string {
  return n > 0 ? `${formatNumber(n)} !` : '0';
}

function isClean(row: ThroughputRow): boolean {
  const total = totals(row);
  return row.rps !== null && total.non2xx === 0 && total.errors === 0 && total.timeouts === 0;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  console.log(
    `idle-logout server bench — node ${process.version}, loopback, autocannon ${connections} connections, ` +
      `${warmupSeconds} s warm-up, then ${rounds} rounds of ${durationSeconds} s per row; one-session rows POST ${keepalivePath} ${keepaliveBody}; ` +
      `@100k rows spread over ${formatNumber(manySessionCount)} live sessions at random\n`,
  );

  let redis: BenchRedisClient | undefined;
  try {
    redis = await connectBenchRedis();
  } catch (error) {
    process.stderr.write(`  ! no Redis for its CPU figures: ${firstLine(error)}\n`);
  }
  let rows: ThroughputRow[];
  try {
    rows = await measureThroughput([...oneSessionRows, ...manySessionRows], redis);
  } finally {
    redis?.destroy();
    await cleanUpRedis();
  }
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

  const rowByName = (name: string) => rows.find((row) => row.name === name)!;
  const bareRps = rowByName('bare').rps;
  const keepaliveRps = rowByName('keepalive').rps;
  const expressSessionRps = rowByName('express-session').rps;
  const honoSessionsRps = rowByName('hono-sessions').rps;
  const bareRow = rowByName('bare');

  printThroughput(rows.filter((row) => !row.spec.randomSessions), 'One session');
  console.log('');
  printThroughput(rows.filter((row) => row.spec.randomSessions), `${formatNumber(manySessionCount)} sessions at random ("vs bare": against the bare row with the same request)`);

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
  const cleanRow = (name: string) => isClean(rowByName(name));
  // Issue I: each many-session row against its bare row, in this run.
  const manyFigures = manySessionRows.map((spec) => {
    const row = rowByName(spec.name);
    return {
      spec,
      row,
      ratio: spec.versus ? divide(row.rps, rowByName(spec.versus.bare).rps) : null,
      cpuRatio: spec.versus ? divide(cpuPerRequest(rowByName(spec.versus.bare)), cpuPerRequest(row)) : null,
    };
  });

  console.log('\nTargets');
  printTable(
    ['target', 'wanted', 'measured', 'verdict'],
    [
      ['keepalive / bare', `≥ ${targets.ratio}`, formatNumber(ratio, 2), verdict(ratio === null ? null : ratio >= targets.ratio && cleanRow('keepalive'))],
      ['keepalive / express-session', `≥ ${targets.keepaliveVsExpress}×`, formatNumber(keepaliveVsExpress, 2), verdict(keepaliveVsExpress === null ? null : keepaliveVsExpress >= targets.keepaliveVsExpress && cleanRow('keepalive'))],
      ['redis keepalive / bare', `≥ ${targets.redisRatio}`, formatNumber(redisRatio, 2), verdict(redisRatio === null ? null : redisRatio >= targets.redisRatio && cleanRow('keepalive-redis'))],
      ['bytes per session (1M)', `≤ ${targets.bytesPerSession}`, formatNumber(bytesPerSession), verdict(bytesPerSession === null ? null : bytesPerSession <= targets.bytesPerSession)],
      ['stall, 100k expire at once', `≤ ${targets.expiryStallMs} ms`, expiryStallMs === null ? 'n/a' : `${formatNumber(expiryStallMs, 1)} ms${expiryComplete ? '' : ' (not all ended!)'}`, verdict(expiryStallMs === null ? null : expiryStallMs <= targets.expiryStallMs && expiryComplete)],
      ...manyFigures.flatMap(({ spec, ratio, row }) => {
        const wanted = spec.versus?.wanted;
        return spec.versus && wanted !== undefined
          ? [[`${spec.name} / ${spec.versus.bare}`, `≥ ${wanted}`, formatNumber(ratio, 2), verdict(ratio === null ? null : ratio >= wanted && isClean(row))]]
          : [];
      }),
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
      // Issue I: the rows over many live sessions at random; each ratio against the bare row it names.
      manySessions: {
        sessions: manySessionCount,
        rows: Object.fromEntries(
          manyFigures.map(({ spec, row, ratio, cpuRatio }) => [
            spec.name,
            {
              rps: row.rps,
              ...(spec.versus ? { versus: spec.versus.bare, ratio, wanted: spec.versus.wanted, cpuRatio } : {}),
              p99Ms: row.rounds.find((round) => round.rps === row.rps)?.latencyP99Ms ?? null,
              cpuMicrosPerRequest: roundTo(cpuPerRequest(row), 1),
              ...(redisTargets.has(spec.target) ? { redisCpuMicrosPerRequest: roundTo(redisCpuPerRequest(row), 1) } : {}),
              non2xx: totals(row).non2xx,
              ...(row.problem ? { problem: row.problem } : {}),
            },
          ]),
        ),
      },
      rounds,
      connections,
      durationSeconds,
      node: process.version,
    }),
  );
}

runParent(main);
