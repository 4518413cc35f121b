/**
 * `npm run bench:profile -- <target> <request> [seconds]` — where a bench row's server time goes.
 * Starts the target as bench/server.ts does (with 100 000 sessions for the idle-logout ones), warms
 * it up, then runs V8's CPU profiler in the server child (what `node --cpu-prof` records) while
 * autocannon sends the row's requests, each with a random session's cookie, and prints the
 * functions with the most self time, the same time by where the code lives, and our own functions
 * by total time (their callees included: what each step of a request costs), then all of our own
 * code together.
 *
 *   target:  bare | bare-session (bare + a cookie looked up in a Map) | bare-redis (the same with one HMGET) | keepalive (memory store) | keepalive-redis
 *   request: get | background | keepalive
 *
 * The full profile is written to .prof/ (git-ignored) (open it in Chrome DevTools → Performance).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { compiledDir, loadOptions, runParent, startTarget, type RequestKind, type RowSpec } from './load.ts';
import { benchRedisPrefix, connectBenchRedis, deleteKeysUnder } from './redis-keys.ts';
import { benchTargetNames, type BenchTargetName } from './server-targets.ts';

const sessionCount = 100_000;
const warmupSeconds = 2;
const topFunctions = Number(process.env.PROFILE_TOP ?? 25);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// The child runs a bundle (bench/load.ts compiledBenchScript): its frames are mapped back to our
// source files through the bundle's source map.
const sourceMaps = new Map<string, SourceMap | undefined>();
const compiledUrl = pathToFileURL(compiledDir).href;

/** The original file and line of a frame in a compiled bench bundle, or the frame's own. */
function originalOf(frame: CallFrame): { url: string; line: number } {
  const own = { url: frame.url, line: frame.lineNumber + 1 };
  if (!frame.url.endsWith('.mjs') || !frame.url.startsWith(compiledUrl)) return own;
  if (!sourceMaps.has(frame.url)) {
    const mapFile = `${fileURLToPath(frame.url)}.map`;
    sourceMaps.set(frame.url, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined);
  }
  const entry = sourceMaps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (!entry || !('originalSource' in entry)) return own;
  return { url: entry.originalSource, line: entry.originalLine + 1 };
}

/** Where a function's code lives: ours (server/…), a package, Node itself, or V8's own entries. */
function areaOf(frame: CallFrame): string {
  const { functionName } = frame;
  const { url } = originalOf(frame);
  if (url === '') return functionName.startsWith('(') ? functionName : `(${functionName || 'native'})`;
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1]!;
  if (url.startsWith('node:')) return 'node';
  const ours = /\/(server|protocol|bench)\/[^/]+$/.exec(url);
  return ours ? ours[0].slice(1) : url;
}

/** Self time (µs) per function and per area, from the profile's samples. */
function selfTimes(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  // Named once per profile node, not once per sample (a source-map lookup each).
  const named = new Map<number, { name: string; area: string }>();
  const nameOf = (id: number) => {
    let found = named.get(id);
    if (found === undefined) {
      const frame = byId.get(id)!.callFrame;
      const area = areaOf(frame);
      found = { name: `${frame.functionName || '(anonymous)'}  ${area}${area.includes('/') ? `:${originalOf(frame).line}` : ''}`, area };
      named.set(id, found);
    }
    return found;
  };
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const { name, area } = nameOf(id);
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    total += micros;
  });
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return { total, functions: sorted(byFunction), areas: sorted(byArea) };
}

/**
 * Total time (µs) of each of our own functions (server/, protocol/, and the bench's own routes in
 * bench/, where a floor target's code lives): its samples with it anywhere
 * on the stack, callees included, each sample counted once per function. An async function's
 * total covers each stretch it runs between awaits, not the time it waits.
 */
function ownTotalTimes(profile: CpuProfile): { functions: [string, number][]; all: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // Per profile node: the names of our functions on its stack, found once.
  const stacks = new Map<number, string[]>();
  const ownOnStack = (id: number): string[] => {
    let names = stacks.get(id);
    if (names === undefined) {
      const parent = parentOf.get(id);
      names = parent === undefined ? [] : [...ownOnStack(parent)];
      const frame = byId.get(id)!.callFrame;
      const { url, line } = originalOf(frame);
      const ours = /\/(server|protocol|bench)\/[^/]+$/.exec(url);
      if (ours) {
        const name = `${frame.functionName || '(anonymous)'}  ${ours[0].slice(1)}:${line}`;
        if (!names.includes(name)) names.push(name);
      }
      stacks.set(id, names);
    }
    return names;
  };
  const totals = new Map<string, number>();
  let all = 0; // samples with any of ours on the stack, each once
  profile.samples.forEach((id, i) => {
    const names = ownOnStack(id);
    for (const name of names) totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
    if (names.length > 0) all += profile.timeDeltas[i] ?? 0;
  });
  return { functions: [...totals].sort((a, b) => b[1] - a[1]), all };
}

/** Each entry's share of the profile, of the busy (not idle) time, and its µs per request. */
function printShares(title: string, entries: [string, number][], total: number, requests: number): void {
  const idle = entries.find(([name]) => name.startsWith('(idle)'))?.[1] ?? 0;
  console.log(`\n${title}\n  total   busy  µs/req`);
  for (const [name, micros] of entries) {
    if (name.startsWith('(idle)')) continue;
    const share = (part: number) => `${((micros / part) * 100).toFixed(1).padStart(5)} %`;
    console.log(`${share(total)} ${share(total - idle)}  ${(micros / requests).toFixed(1).padStart(6)}  ${name}`);
  }
}

async function main(): Promise<void> {
  const [target, request, seconds = '10'] = process.argv.slice(2) as [BenchTargetName, RequestKind, string?];
  if (!benchTargetNames.includes(target) || !['get', 'background', 'keepalive'].includes(request)) {
    throw new Error(`usage: npm run bench:profile -- <${benchTargetNames.join('|')}> <get|background|keepalive> [seconds]`);
  }
  const redisPrefix = benchRedisPrefix('profile');
  const spec: RowSpec = { name: `${target} ${request}`, target, request, randomSessions: true };
  // The bare target files no sessions: it gets cookies of the same shape from a memory target's ids.
  const isBare = target === 'bare';
  const donor = await startTarget(isBare ? 'keepalive' : target, sessionCount, { BENCH_REDIS_PREFIX: redisPrefix });
  try {
    const running = isBare ? await startTarget(target, 0) : donor;
    await autocannon(loadOptions(spec, running, donor.manyCookies!, warmupSeconds));
    await running.ask('profile-start', 'profileStarted');
    const cpuBefore = await running.cpuMicros();
    const result = await autocannon(loadOptions(spec, running, donor.manyCookies!, Number(seconds)));
    const cpuAfter = await running.cpuMicros();
    const profile = await running.ask<CpuProfile>('profile-stop', 'profile');
    const directory = fileURLToPath(new URL('../.prof/', import.meta.url));
    mkdirSync(directory, { recursive: true });
    const file = `${directory}${target}-${request}-${Date.now()}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));

    const { total, functions, areas } = selfTimes(profile);
    const idle = areas.find(([area]) => area === '(idle)')?.[1] ?? 0;
    const busy = total - idle;
    console.log(
      `${spec.name}: ${Math.round(result['2xx'] / result.duration)} req/s (2xx), ${result.non2xx} non-2xx, p99 ${result.latency.p99} ms, ` +
        `${((cpuAfter - cpuBefore) / Math.max(1, result.requests.total)).toFixed(1)} µs server CPU per request; ` +
        `profile ${(total / 1e6).toFixed(1)} s, ${((busy / total) * 100).toFixed(0)} % busy → ${file}`,
    );
    const requests = Math.max(1, result.requests.total);
    printShares(`Top ${topFunctions} functions by self time`, functions.slice(0, topFunctions + 1), total, requests);
    printShares('Self time by where the code lives', areas, total, requests);
    const own = ownTotalTimes(profile);
    printShares(`Top ${topFunctions} of our own functions (server/, protocol/, bench/) by total time, callees included`, own.functions.slice(0, topFunctions), total, requests);
    console.log(`\nAll of our own code, callees included (each sample once): ${(own.all / requests).toFixed(1)} µs per request`);
    if (running !== donor) running.stop();
  } finally {
    donor.stop();
    if (target === 'keepalive-redis' || target === 'bare-redis') {
      const client = await connectBenchRedis();
      await deleteKeysUnder(client, redisPrefix);
      client.destroy();
    }
  }
}

runParent(main);
