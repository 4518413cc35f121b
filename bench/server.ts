/**
 * `npm run bench:server` — idle-logout's server against a bare Hono route and two popular
 * session libraries, plus the memory store's size and expiry stall. One run, loopback only,
 * stops by itself (about six and a half minutes on 2 cores: see Time below).
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
 *   store and on Redis, each against the bare route sent the same random cookies; `bare-session`
 *   rows are the floor under the memory ones (the bare route behind the least session middleware:
 *   a cookie looked up in a Map), `bare-redis` rows under the Redis ones (the same middleware with
 *   one HMGET of the session's hash for the Map). Redis rows also
 *   show Redis's own CPU per request (INFO CPU; the whole Redis, so other work on it counts too).
 *   The Redis keys live under a prefix of this run's own and are deleted at the end.
 *
 * A row with a bare row to compare (`versus`: keepalive and keepalive-redis against bare, the
 * @100k rows against the bare route sent the same request) is measured against it *together*:
 * every round it runs alone (its req/s, latencies, CPU) and then with its bare row loaded at the
 * same time, and its ratio is the bare route's server CPU µs per request divided by its own there
 * (the share of the bare route's capacity it keeps), the median over the rounds. The req/s ratio
 * of those together runs is printed too. measureThroughput says why not req/s of runs one after
 * the other: on 2 cores the load generator limits them as much as the server does.
 *
 * An idle-logout `@100k` row with a floor row (`versus.floor`) also runs head to head with that
 * floor every round: the floor's server CPU µs per request divided by its own, both loaded at
 * once, says directly whether it costs more than the least session middleware for that request.
 *
 * Time with the defaults (3 rounds, 3 s runs, 2 s warm-up): 17 rows warmed up = 34 s; a round is
 * 17 runs alone, 12 with a bare row and 6 with a floor, 35 × 3 s = 105 s, so 315 s for 3. Starting
 * the servers (filing 100 000 sessions in memory and twice on Redis), the checks around each run,
 * the memory and expiry measures and clean-up add about 50 s: about 6½ minutes in all.
 *
 * Prints tables, then as the last line one JSON object with the figures.
 */
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { checkRow, connections, keepaliveBody, keepalivePath, killChildren, loadOptions, runChild, runParent, startTarget, type RequestKind, type RowSpec, type RunningTarget } from './load.ts';
import { benchRedisPrefix, connectBenchRedis, deleteKeysUnder, redisCpuMicros, type BenchRedisClient } from './redis-keys.ts';
import type { BenchTargetName } from './server-targets.ts';

// BENCH_DURATION_S / BENCH_ROUNDS shorten a run while working on the bench, and BENCH_ROWS (row
// names, comma-separated) runs only those rows and their bare rows and prints their capacity ratios
// round by round; the figures need the defaults.
const warmupSeconds = 2;
const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 3);
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
  { name: 'keepalive', target: 'keepalive', request: 'keepalive', randomSessions: false, versus: { bare: 'bare', wanted: targets.ratio } },
  { name: 'keepalive-redis', target: 'keepalive-redis', request: 'keepalive', randomSessions: false, versus: { bare: 'bare', wanted: targets.redisRatio } },
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
  many('memory-get', 'keepalive', 'get', { bare: 'bare-get@100k', wanted: 0.9, floor: 'bare-session-get@100k' }),
  many('memory-background', 'keepalive', 'background', { bare: 'bare-get@100k', wanted: 0.9, floor: 'bare-session-get@100k' }),
  many('memory-keepalive', 'keepalive', 'keepalive', { bare: 'bare-keepalive@100k', wanted: 0.8, floor: 'bare-session-keepalive@100k' }),
  // The floor under the memory rows: a bare route behind the least session middleware (bare-session).
  many('bare-session-get', 'bare-session', 'get', { bare: 'bare-get@100k' }),
  many('bare-session-keepalive', 'bare-session', 'keepalive', { bare: 'bare-keepalive@100k' }),
  // The floor under the Redis rows: the least session middleware on Redis (one HMGET), no session logic.
  many('bare-redis-get', 'bare-redis', 'get', { bare: 'bare-get@100k' }),
  many('bare-redis-keepalive', 'bare-redis', 'keepalive', { bare: 'bare-keepalive@100k' }),
  many('redis-get', 'keepalive-redis', 'get', { bare: 'bare-get@100k', wanted: 0.5, floor: 'bare-redis-get@100k' }),
  many('redis-background', 'keepalive-redis', 'background', { bare: 'bare-get@100k', wanted: 0.6, floor: 'bare-redis-get@100k' }),
  many('redis-keepalive', 'keepalive-redis', 'keepalive', { bare: 'bare-keepalive@100k', wanted: 0.5, floor: 'bare-redis-keepalive@100k' }),
];
/** Targets that file the many sessions (bare rows borrow their ids: same cookie bytes). */
const seededTargets = new Set<BenchTargetName>(['keepalive', 'keepalive-redis', 'bare-session', 'bare-redis']);
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

interface Run {
  rps: number; // 2xx answers per second
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  serverCpuMicrosPerRequest: number;
  /** Redis rows: Redis's CPU per request over the run. */
  redisCpuMicrosPerRequest?: number;
}

/** One round of a paired row: its run and its bare row's, together. */
interface PairedRatios {
  /** The bare run's server CPU µs per request / this row's: the share of the bare route's capacity this row keeps (1 = as cheap as bare). */
  capacityRatio: number;
  rpsRatio: number; // this row's req/s / the bare run's, both loaded at once by one load generator
}

interface ThroughputRow {
  spec: RowSpec;
  name: string;
  /** One run alone a round. */
  runs: Run[];
  /** Rows with a `versus`: one a round. */
  pairs: PairedRatios[];
  /** Rows with a `versus.floor`: the floor run's server CPU µs per request ÷ this row's, run head to head; one a round. */
  floorRatios: number[];
  rps: number | null; // median over the runs
  problem?: string;
}

/** What one autocannon run loads: a row's target, with the cookies its requests carry. */
interface Load {
  spec: RowSpec;
  target: RunningTarget;
  manyCookies: string[];
}

/** What a round runs, in turn: a row alone, and a row with a `versus` then together with its bare row. */
interface Step {
  row: ThroughputRow;
  bare?: ThroughputRow;
  floor?: ThroughputRow;
}

async function measureRuns(loads: Load[], redis: BenchRedisClient | undefined): Promise<Run[]> {
  // Redis's CPU is the whole Redis's: with two Redis rows at once (a row and its floor) it cannot be
  // split between them, and neither gets a figure (their runs alone have one).
  const redisRows = loads.filter(({ spec }) => redis !== undefined && redisTargets.has(spec.target)).length;
  const usesRedis = loads.map(({ spec }) => redis !== undefined && redisRows === 1 && redisTargets.has(spec.target));
  const redisCpuBefore = redis && usesRedis.includes(true) ? await redisCpuMicros(redis) : 0;
  const cpuBefore = await Promise.all(loads.map(({ target }) => target.cpuMicros()));
  const results = await Promise.all(loads.map(({ spec, target, manyCookies }) => autocannon(loadOptions(spec, target, manyCookies, durationSeconds))));
  const cpuAfter = await Promise.all(loads.map(({ target }) => target.cpuMicros()));
  const redisCpuAfter = redis && usesRedis.includes(true) ? await redisCpuMicros(redis) : 0;
  // Still signed in after the run? (A session that died mid-run shows as non-2xx too.)
  for (const { spec, target, manyCookies } of loads) await checkRow(spec, target, manyCookies);
  return results.map((result, i) => {
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
      serverCpuMicrosPerRequest: (cpuAfter[i]! - cpuBefore[i]!) / requests,
      ...(usesRedis[i] ? { redisCpuMicrosPerRequest: (redisCpuAfter - redisCpuBefore) / requests } : {}),
    };
  });
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
 * Why the ratios are not req/s against req/s of runs taken one after the other: on this 2-core box
 * the load generator (autocannon, one Node process) is busy 96–98 % of a core at the bare route's
 * rate, so req/s of a cheap server measures autocannon as much as the server, and which of the two
 * limits a run changes from run to run: two runs of the same code put memory-get@100k at 1.03 and
 * at 0.77 of its bare route, and one run paired back to back gave 0.88 / 0.70 / 0.55 in its three
 * rounds. So a row with a `versus` also runs *together* with its bare row every round (the same
 * generator loading both at once, so a burst of other work on the machine falls on both alike),
 * and its ratio is what each costs the server there: the bare route's server CPU µs per request
 * divided by this row's, the share of the bare route's capacity the row keeps once the server is
 * what limits. Five such rounds of memory-get@100k gave 0.80–0.85 where the back-to-back req/s
 * ratios of the same rounds gave 1.03–1.16. The req/s ratio of those together runs is printed
 * too. req/s, latencies and CPU per request in the tables come from each row's runs alone, as an
 * app would see them; every row also runs alone once a round. Steps go in a rotating order (no
 * step always first). All servers stay up for the whole phase; an idle one costs no CPU. Every
 * row is warmed up with its own request first (not counted), so the JIT has settled.
 */
async function measureThroughput(specs: readonly RowSpec[], redis: BenchRedisClient | undefined): Promise<ThroughputRow[]> {
  const rows = specs.map((spec): ThroughputRow => ({ spec, name: spec.name, runs: [], pairs: [], floorRatios: [], rps: null }));
  const running = new Map<BenchTargetName, RunningTarget>();
  try {
    const targetProblems = await startTargets(new Set(specs.map((spec) => spec.target)), running);
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
    const measure = (together: ThroughputRow[]) =>
      measureRuns(together.map((row) => ({ spec: row.spec, target: running.get(row.spec.target)!, manyCookies: cookiesOf(row) })), redis);
    const steps = roundSteps(live);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < steps.length; i++) await runStep(steps[(i + round) % steps.length]!, round, measure);
    }
  } finally {
    for (const target of running.values()) target.stop();
  }
  const rowByName = new Map(rows.map((row) => [row.name, row]));
  for (const row of rows) {
    const bare = row.spec.versus && rowByName.get(row.spec.versus.bare);
    // Its ratio is measured together with its bare row: without that row it has none.
    if (row.spec.versus && (!bare || bare.problem)) row.problem ??= `its bare row ${row.spec.versus.bare} ${bare ? 'failed' : 'is not in the bench'}`;
    if (!row.problem && row.runs.length > 0) row.rps = Math.round(median(row.runs.map((run) => run.rps)));
  }
  return rows;
}

/** Starts each target in its own process, into `running`; returns why any did not start. */
async function startTargets(names: Set<BenchTargetName>, running: Map<BenchTargetName, RunningTarget>): Promise<Map<BenchTargetName, string>> {
  const problems = new Map<BenchTargetName, string>();
  for (const name of names) {
    try {
      process.stderr.write(`  starting ${name}${seededTargets.has(name) ? ` with ${formatNumber(manySessionCount)} sessions` : ''}…\n`);
      running.set(name, await startTarget(name, seededTargets.has(name) ? manySessionCount : 0, { BENCH_REDIS_PREFIX: redisPrefix }));
    } catch (error) {
      problems.set(name, firstLine(error));
    }
  }
  return problems;
}

/** What every round runs: each live row alone, and each with a live bare row together with it. */
function roundSteps(live: ThroughputRow[]): Step[] {
  const liveByName = new Map(live.map((row) => [row.name, row]));
  return live.map((row): Step => {
    const bare = row.spec.versus && liveByName.get(row.spec.versus.bare);
    const floor = row.spec.versus?.floor === undefined ? undefined : liveByName.get(row.spec.versus.floor);
    return { row, ...(bare ? { bare } : {}), ...(floor ? { floor } : {}) };
  });
}

/** Runs one step of round `round` (from 0): the row alone, then, with a bare row, the two together. */
async function runStep({ row, bare, floor }: Step, round: number, measure: (together: ThroughputRow[]) => Promise<Run[]>): Promise<void> {
  if (row.problem) return;
  try {
    process.stderr.write(`  round ${round + 1}/${rounds}: ${row.name}…\n`);
    const [alone] = await measure([row]);
    row.runs.push(alone!);
    if (!bare || bare.problem) return;
    process.stderr.write(`  round ${round + 1}/${rounds}: ${row.name} together with ${bare.name}…\n`);
    const [ours, beside] = await measure([row, bare]);
    row.pairs.push({ capacityRatio: beside!.serverCpuMicrosPerRequest / ours!.serverCpuMicrosPerRequest, rpsRatio: ours!.rps / beside!.rps });
    if (!floor || floor.problem) return;
    // Head to head with its floor: whether idle-logout costs more than the least session
    // middleware does for the same request, measured at once rather than from two runs' ratios.
    process.stderr.write(`  round ${round + 1}/${rounds}: ${row.name} together with its floor ${floor.name}…\n`);
    const [mine, least] = await measure([row, floor]);
    row.floorRatios.push(least!.serverCpuMicrosPerRequest / mine!.serverCpuMicrosPerRequest);
  } catch (error) {
    row.problem = firstLine(error);
  }
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

/**
 * The one-session rows' table, and the many-session rows'. "capacity vs bare" is a paired row's
 * pairedFigures ratio; for a row with no bare row of its own (the session libraries), the
 * one-session bare row's CPU µs per request divided by its own, both from runs alone.
 */
function printThroughput(rows: ThroughputRow[], title: string): void {
  const bareRow = rows.find((row) => row.name === 'bare');
  console.log(`${title}: req/s = 2xx answers per second, CPU and latencies: medians of the row's ${rounds} runs alone`);
  console.log(`  "capacity vs bare" = the bare route's server CPU µs per request ÷ this row's, measured with both loaded together; median of the ${rounds} rounds ("rounds": each round's), then the req/s ratio of those together runs`);
  console.log(`  "vs floor, head to head" = its floor row's server CPU µs per request ÷ this row's, both loaded together (1 = as cheap as the least session middleware); median, then each round's`);
  printTable(
    ['row', 'req/s', 'runs', 'CPU µs/req', 'capacity vs bare', 'rounds', 'req/s vs bare together', 'vs floor, head to head', 'Redis CPU µs/req', 'requests', 'non-2xx', 'errors', 'timeouts', 'p50 ms', 'p99 ms', 'status codes'],
    rows.map((row) => {
      const total = totals(row);
      const paired = pairedFigures(row);
      const latencies = medianRun(row);
      return [
        row.name,
        formatNumber(row.rps),
        row.runs.map((run) => formatNumber(run.rps)).join(' / ') || '-',
        formatNumber(cpuPerRequest(row), 1),
        formatNumber(row.spec.versus ? paired.ratio : divide(cpuPerRequest(bareRow ?? row), cpuPerRequest(row)), 2),
        paired.pairedRatios.map((ratio) => formatNumber(ratio, 2)).join(' / '),
        formatNumber(paired.rpsRatio, 2),
        paired.floorPairedRatios ? `${formatNumber(paired.floorRatio ?? null, 2)} (${paired.floorPairedRatios.map((ratio) => formatNumber(ratio, 2)).join(' / ')})` : '',
        redisTargets.has(row.spec.target) ? formatNumber(redisCpuPerRequest(row), 1) : '',
        formatNumber(total.requests),
        flag(total.non2xx),
        flag(total.errors),
        flag(total.timeouts),
        formatNumber(latencies?.latencyP50Ms),
        formatNumber(latencies?.latencyP99Ms),
        row.problem ? `FAILED: ${row.problem}` : Object.entries(total.statusCodes).map(([code, n]) => `${code}×${n}`).join(' '),
      ];
    }),
  );
}

/** The run alone whose req/s is the median, for its latencies (of an even count, the lower middle one). */
function medianRun(row: ThroughputRow): Run | undefined {
  const byRps = [...row.runs].sort((a, b) => a.rps - b.rps);
  return byRps[(byRps.length - 1) >> 1];
}

/**
 * A paired row's ratios to its bare row over the rounds it ran together with it: the median
 * capacity ratio (the verdict's figure), each round's, and the median req/s ratio. None for a row
 * that is not paired or failed.
 */
function pairedFigures(row: ThroughputRow): {
  ratio: number | null;
  pairedRatios: number[];
  rpsRatio: number | null;
  floorRatio?: number | null;
  floorPairedRatios?: number[];
} {
  const measured = row.rps !== null && row.pairs.length > 0;
  const medianOf = (pick: (pair: PairedRatios) => number) => (measured ? hundredths(median(row.pairs.map(pick))) : null);
  const floorMeasured = row.rps !== null && row.floorRatios.length > 0;
  return {
    ratio: medianOf((pair) => pair.capacityRatio),
    pairedRatios: measured ? row.pairs.map((pair) => hundredths(pair.capacityRatio)) : [],
    rpsRatio: medianOf((pair) => pair.rpsRatio),
    // Head to head with its floor: the floor's server CPU µs per request ÷ this row's (1 = as cheap as the floor).
    ...(row.spec.versus?.floor === undefined
      ? {}
      : { floorRatio: floorMeasured ? hundredths(median(row.floorRatios)) : null, floorPairedRatios: row.floorRatios.map(hundredths) }),
  };
}

function hundredths(value: number): number {
  return Math.round(value * 100) / 100;
}

function divide(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : hundredths(a / b);
}

function totals(row: ThroughputRow) {
  const sum = (pick: (run: Run) => number) => row.runs.reduce((total, run) => total + pick(run), 0);
  const statusCodes: Record<string, number> = {};
  for (const run of row.runs) {
    for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  }
  return { requests: sum((r) => r.requests), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), statusCodes };
}

/** Server CPU per request, median over the runs alone. */
function cpuPerRequest(row: ThroughputRow): number | null {
  return row.rps === null || row.runs.length === 0 ? null : median(row.runs.map((run) => run.serverCpuMicrosPerRequest));
}

function redisCpuPerRequest(row: ThroughputRow): number | null {
  const figures = row.runs.flatMap((run) => (run.redisCpuMicrosPerRequest === undefined ? [] : [run.redisCpuMicrosPerRequest]));
  return row.rps === null || figures.length === 0 ? null : median(figures);
}

function flag(n: number): string {
  return n > 0 ? `${formatNumber(n)} !` : '0';
}

function isClean(row: ThroughputRow): boolean {
  const total = totals(row);
  return row.rps !== null && total.non2xx === 0 && total.errors === 0 && total.timeouts === 0;
}

/** The rows named in BENCH_ROWS and the bare rows they are measured against. */
function selectedRows(names: string[]): RowSpec[] {
  const all = [...oneSessionRows, ...manySessionRows];
  const unknown = names.filter((name) => !all.some((spec) => spec.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_ROWS: no row named ${unknown.join(', ')} (rows: ${all.map((spec) => spec.name).join(', ')})`);
  const wanted = new Set(
    names.flatMap((name) => {
      const { versus } = all.find((spec) => spec.name === name)!;
      return [name, versus?.bare ?? name, versus?.floor ?? name];
    }),
  );
  return all.filter((spec) => wanted.has(spec.name));
}

/** A BENCH_ROWS run's figures: each row's capacity ratio in every round, its median, and CPU per request alone. */
function printSelected(rows: ThroughputRow[]): void {
  for (const row of rows) {
    const ratios = row.pairs.map((pair) => pair.capacityRatio.toFixed(2));
    const cpu = cpuPerRequest(row);
    console.log(
      `${row.name.padEnd(28)} ${row.problem ?? `${formatNumber(row.rps ?? 0)} req/s alone, ${cpu === null ? '-' : cpu.toFixed(1)} µs CPU/req` + (ratios.length > 0 ? `; capacity vs ${row.spec.versus!.bare}: ${ratios.join(' / ')} (median ${median(row.pairs.map((pair) => pair.capacityRatio)).toFixed(2)})` : '') + (row.floorRatios.length > 0 ? `; vs its floor ${row.spec.versus!.floor} head to head: ${row.floorRatios.map((ratio) => ratio.toFixed(2)).join(' / ')}` : '')}`,
    );
  }
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  console.log(
    `idle-logout server bench — node ${process.version}, loopback, autocannon ${connections} connections, ` +
      `${warmupSeconds} s warm-up per row, then ${rounds} rounds of ${durationSeconds} s runs, each row alone and a row with a bare row also together with it; one-session rows POST ${keepalivePath} ${keepaliveBody}; ` +
      `@100k rows spread over ${formatNumber(manySessionCount)} live sessions at random\n`,
  );

  let redis: BenchRedisClient | undefined;
  try {
    redis = await connectBenchRedis();
  } catch (error) {
    process.stderr.write(`  ! no Redis for its CPU figures: ${firstLine(error)}\n`);
  }
  const only = process.env.BENCH_ROWS?.split(',').map((name) => name.trim());
  let rows: ThroughputRow[];
  try {
    rows = await measureThroughput(only ? selectedRows(only) : [...oneSessionRows, ...manySessionRows], redis);
  } finally {
    redis?.destroy();
    await cleanUpRedis();
  }
  if (only) return printSelected(rows);
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
  const keepalivePaired = pairedFigures(rowByName('keepalive'));
  const redisKeepalivePaired = pairedFigures(rowByName('keepalive-redis'));

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

  const redisKeepaliveRps = rowByName('keepalive-redis').rps;
  // Like the bare ratios, in server CPU per request (runs alone): what each costs its server.
  const keepaliveCpu = cpuPerRequest(rowByName('keepalive'));
  const keepaliveVsExpress = divide(cpuPerRequest(rowByName('express-session')), keepaliveCpu);
  const keepaliveVsHonoSessions = divide(cpuPerRequest(rowByName('hono-sessions')), keepaliveCpu);
  const bytesPerSession = 'problem' in memory ? null : memory.bytesPerSession;
  const expiryComplete = trials.length === expiryTrials && trials.every((t) => t.ended === t.count && t.sizeAfter === 0);
  const expiryStallMs = 'problem' in expiry ? null : expiry.maxStallMs;
  const cleanRow = (name: string) => isClean(rowByName(name));
  // A row with a wanted ratio to its bare row: its capacity ratio (pairedFigures).
  const pairedTargets = (specs: RowSpec[]) =>
    specs.flatMap((spec) => {
      const wanted = spec.versus?.wanted;
      if (spec.versus === undefined || wanted === undefined) return [];
      const { ratio, floorRatio } = pairedFigures(rowByName(spec.name));
      const floor = spec.versus.floor === undefined ? undefined : pairedFigures(rowByName(spec.versus.floor)).ratio;
      return [
        [
          `${spec.name} / ${spec.versus.bare}`,
          `≥ ${wanted}`,
          formatNumber(ratio, 2),
          verdict(ratio === null ? null : ratio >= wanted && cleanRow(spec.name)),
          floor === undefined ? '' : formatNumber(floor, 2),
          floorRatio === undefined ? '' : formatNumber(floorRatio, 2),
        ],
      ];
    });

  console.log(`\nTargets (a ratio to a bare row: its capacity ratio, the median of ${rounds} rounds together; express-session: its CPU µs per request ÷ keepalive's)`);
  console.log(`  its floor's own capacity vs bare (the least session middleware for the request, same run), and the row head to head with that floor (1 = as cheap)`);
  printTable(
    ['target', 'wanted', 'measured', 'verdict', 'floor vs bare', 'vs floor head to head'],
    [
      ...pairedTargets(oneSessionRows),
      ['keepalive / express-session', `≥ ${targets.keepaliveVsExpress}×`, formatNumber(keepaliveVsExpress, 2), verdict(keepaliveVsExpress === null ? null : keepaliveVsExpress >= targets.keepaliveVsExpress && cleanRow('keepalive'))],
      ['bytes per session (1M)', `≤ ${targets.bytesPerSession}`, formatNumber(bytesPerSession), verdict(bytesPerSession === null ? null : bytesPerSession <= targets.bytesPerSession)],
      ['stall, 100k expire at once', `≤ ${targets.expiryStallMs} ms`, expiryStallMs === null ? 'n/a' : `${formatNumber(expiryStallMs, 1)} ms${expiryComplete ? '' : ' (not all ended!)'}`, verdict(expiryStallMs === null ? null : expiryStallMs <= targets.expiryStallMs && expiryComplete)],
      ...pairedTargets(manySessionRows),
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
      ratio: keepalivePaired.ratio,
      pairedRatios: keepalivePaired.pairedRatios,
      rpsRatioTogether: keepalivePaired.rpsRatio,
      expressSessionRps,
      honoSessionsRps,
      keepaliveVsExpress,
      keepaliveVsHonoSessions,
      redisKeepaliveRps,
      redisRatio: redisKeepalivePaired.ratio,
      redisPairedRatios: redisKeepalivePaired.pairedRatios,
      redisRpsRatioTogether: redisKeepalivePaired.rpsRatio,
      bytesPerSession,
      heapBytesPerSession: 'problem' in memory ? null : memory.heapBytesPerSession,
      expiryStallMs,
      expiryBusyMs: 'problem' in expiry ? null : expiry.maxBusyMs,
      expiryStallTrialsMs: trials.map((t) => t.maxStallMs),
      expiryEnded: 'problem' in expiry ? null : expiry.ended,
      expiryControlStallMs: 'problem' in expiry ? null : expiry.controlStallMs,
      keepaliveCpuMicrosPerRequest: roundTo(keepaliveCpu, 1),
      bareCpuMicrosPerRequest: roundTo(cpuPerRequest(bareRow), 1),
      // What every `ratio` above and below is (bench/server.ts, measureThroughput).
      ratioMeasure: 'capacity: the bare route server CPU µs per request ÷ the row, both loaded together; median of the rounds',
      loadAverage: [loadBefore, loadAfter],
      keepaliveNon2xx: totals(rowByName('keepalive')).non2xx,
      // Issue I: the rows over many live sessions at random; each ratio against the bare row it names.
      manySessions: {
        sessions: manySessionCount,
        rows: Object.fromEntries(
          manySessionRows.map((spec) => {
            const row = rowByName(spec.name);
            return [
              spec.name,
              {
                rps: row.rps,
                ...(spec.versus ? { versus: spec.versus.bare, ...pairedFigures(row), wanted: spec.versus.wanted } : {}),
                p99Ms: (row.rps === null ? undefined : medianRun(row)?.latencyP99Ms) ?? null,
                cpuMicrosPerRequest: roundTo(cpuPerRequest(row), 1),
                ...(redisTargets.has(spec.target) ? { redisCpuMicrosPerRequest: roundTo(redisCpuPerRequest(row), 1) } : {}),
                non2xx: totals(row).non2xx,
                ...(row.problem ? { problem: row.problem } : {}),
              },
            ];
          }),
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
