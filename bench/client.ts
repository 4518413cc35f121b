/**
 * `npm run bench:client` — what one input event costs with idle-logout's activity listeners, against
 * a listener that does nothing and against react-idle-timer 5.7 (with React 19). The target:
 * within 2× of the bare listener and faster than react-idle-timer.
 *
 * One headless Chromium (Debian's, see e2e/browser.ts), one fresh context and page per setup, all
 * served from a tiny node:http server on 127.0.0.1 (no other network):
 *   bare              a no-op listener per event type on window (capture, passive), where the SDK listens
 *   idle-logout       dist/idle-logout.iife.js by its script tag (data-autostart="false"), then
 *                     `IdleLogout.startIdleLogout({ dialog: false })` against this server's /session
 *   react-idle-timer  `useIdleTimer` with its defaults in a React 19 component (bundled by esbuild)
 * Every page loads the same timed loop (bench/client-page/harness.ts): N events dispatched on
 * `document`, timed with performance.now(). Warm-up first, then rounds interleaved across the pages
 * (rotating who goes first); the median round counts. Two ways to feed the loop:
 *   new event each time   each event created inside the loop, as the targets are stated;
 *   re-dispatched         one event per type made before the timer, dispatched again and again, so
 *                         what is timed is dispatch and listeners only (event creation is most of the
 *                         first figure, and it is the same work on every page).
 *
 * Two event mixes. "pointer+key" alternates pointermove/keydown, as the targets are stated: the headline,
 * and the JSON's first keys. But react-idle-timer's default events have mousemove, not pointermove,
 * so in that mix its listener runs on half the events and the other half find no listener at all;
 * "mouse+key" adds the mousemove a real mouse move brings with its pointermove, so each library's
 * listener runs on the same events (its figures are under "mouseMix").
 *
 * Afterwards each page proves its listener ran: V8's precise coverage counts the calls of the
 * setup's own functions over a checking batch (turned on only after the timed rounds), and the page
 * checks the library's own state (idle-logout's shared record in IndexedDB, react-idle-timer's
 * getLastActiveTime()). When a target is missed — or with --profile — a CPU profile of one round
 * per setup shows where the time goes.
 *
 * Prints a table, then as the last line one JSON object with the figures. Needs dist/idle-logout.iife.js
 * (the package script builds it first: `vite build --mode iife`). About a minute on 2 idle cores (the watchdog ends it at 150 s).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { browserUnavailable, launchBrowser } from '../e2e/browser.ts';
import { DEFAULT_BASE_PATH, LOGOUT_BODY, STATUS_PATH, KEEPALIVE_PATH, LOGOUT_PATH, statusBody } from '../protocol/index.ts';

const eventsPerRound = 100_000;
const warmupEvents = 10_000;
const warmupRuns = 2;
const rounds = 11;
const checkEvents = 3_000;
const runTimeoutMs = 150_000;
const targets = { idleLogoutVsBare: 2, idleLogoutVsReactIdleTimer: 1 };
const profile = process.argv.includes('--profile');

/** "created": a new event each time, as the targets are stated; "reused": one event per type, dispatched again and again. */
const modes = ['created', 'reused'] as const;
type Mode = (typeof modes)[number];

const mixes = [
  { name: 'pointer+key', types: ['pointermove', 'keydown'] },
  { name: 'mouse+key', types: ['pointermove', 'mousemove', 'keydown'] },
] as const;
type MixName = (typeof mixes)[number]['name'];
const allTypes = [...new Set(mixes.flatMap((mix) => mix.types))];

const setups = ['bare', 'idle-logout', 'react-idle-timer'] as const;
type SetupName = (typeof setups)[number];

/** What GET /session answers: a live session with the default schedule. */
const liveSession = JSON.stringify(statusBody({ remainingMs: 300_000, idleTimeoutMs: 300_000, warningMs: 60_000, absoluteRemainingMs: 43_200_000 }));
const statusPath = DEFAULT_BASE_PATH + STATUS_PATH;
const keepalivePath = DEFAULT_BASE_PATH + KEEPALIVE_PATH;
const logoutPath = DEFAULT_BASE_PATH + LOGOUT_PATH;

const root = new URL('..', import.meta.url);
const pageDir = new URL('client-page/', import.meta.url);

async function bundlePages(): Promise<Map<string, string>> {
  const entries = ['harness.ts', 'bare.ts', 'idle-logout.ts', 'react-idle-timer.js'];
  const result = await build({
    entryPoints: entries.map((entry) => new URL(entry, pageDir).pathname),
    bundle: true,
    format: 'iife',
    target: 'es2022',
    minify: true,
    // React's production build, as an app ships it.
    define: { 'process.env.NODE_ENV': '"production"' },
    outdir: '/bundles',
    write: false,
    logLevel: 'error',
  });
  return new Map(result.outputFiles.map((file) => [file.path.replace(/^.*\//, ''), file.text]));
}

function pageHtml(setup: SetupName): string {
  const sdk = setup === 'idle-logout' ? '<script src="/idle-logout.iife.js" data-autostart="false"></script>' : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench: ${setup}</title></head>
<body><div id="root"></div><script src="/bundles/harness.js"></script>${sdk}<script src="/bundles/${setup}.js"></script></body></html>`;
}

interface BenchServer {
  origin: string;
  requests: Map<string, number>;
  close(): Promise<void>;
}

async function startServer(files: Map<string, { type: string; body: string }>): Promise<BenchServer> {
  const requests = new Map<string, number>();
  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const route = `${req.method} ${path}`;
    requests.set(route, (requests.get(route) ?? 0) + 1);
    // The protocol routes the SDK calls (docs/protocol.md): always a live session.
    if (route === `GET ${statusPath}` || route === `POST ${keepalivePath}`) return send(res, 200, 'application/json', liveSession);
    if (route === `POST ${logoutPath}`) return send(res, 200, 'application/json', JSON.stringify(LOGOUT_BODY));
    const file = req.method === 'GET' ? files.get(path) : undefined;
    if (file) return send(res, 200, file.type, file.body);
    send(res, 404, 'application/json', JSON.stringify({ error: 'not-found', message: `bench server has no ${route}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Setup {
  name: SetupName;
  context: BrowserContext;
  page: Page;
  /** The script whose functions are the setup's own (for the call counts). */
  scriptPath: string;
  errors: string[];
}

async function openSetup(browser: Browser, origin: string, name: SetupName): Promise<Setup> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  // Nothing but the bench server: a request anywhere else is a mistake, so fail it loudly.
  await context.route((url) => url.origin !== origin, (route) => {
    errors.push(`blocked request to ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(`${origin}/${name}.html?types=${allTypes.join(',')}`);
  await page.evaluate('window.benchHarness.ready.then(() => true)');
  const scriptPath = name === 'idle-logout' ? '/idle-logout.iife.js' : `/bundles/${name}.js`;
  return { name, context, page, scriptPath, errors };
}

function dispatch(setup: Setup, types: readonly string[], count: number, reuse = false): Promise<number> {
  return setup.page.evaluate(`window.benchHarness.dispatchEvents(${JSON.stringify(types)}, ${count}, ${reuse})`) as Promise<number>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

type Measured = Record<SetupName, { nsPerEvent: number; rounds: number[] }>;

/** Median ns per event of each setup for one mix; rounds interleaved, the first page rotating. */
async function measureMix(open: Setup[], types: readonly string[], reuse: boolean): Promise<Measured> {
  for (const setup of open) for (let i = 0; i < warmupRuns; i++) await dispatch(setup, types, warmupEvents, reuse);
  const roundNs = new Map<SetupName, number[]>(open.map((setup) => [setup.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < open.length; i++) {
      const setup = open[(round + i) % open.length]!;
      const ms = await dispatch(setup, types, eventsPerRound, reuse);
      roundNs.get(setup.name)!.push((ms * 1e6) / eventsPerRound);
    }
  }
  const result = {} as Measured;
  for (const [name, values] of roundNs) result[name] = { nsPerEvent: median(values), rounds: values };
  return result;
}

interface CallCount {
  count: number;
  what: string;
}

/**
 * Calls of the setup's own functions over `checkEvents` dispatched events, counted by V8's precise
 * coverage (turned on only now: it costs, and the timed rounds are over).
 */
async function countListenerCalls(setup: Setup, cdp: CDPSession, origin: string, types: readonly string[], source: string): Promise<CallCount[]> {
  await cdp.send('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  await cdp.send('Profiler.takePreciseCoverage'); // resets the counters
  await dispatch(setup, types, checkEvents);
  const { result } = await cdp.send('Profiler.takePreciseCoverage');
  await cdp.send('Profiler.stopPreciseCoverage');
  const script = result.find((entry) => entry.url === origin + setup.scriptPath);
  if (!script) return [];
  return script.functions
    .filter((fn) => fn.ranges[0] && fn.ranges[0].count > 0 && fn.ranges[0].startOffset > 0) // not the script itself
    .map((fn) => {
      const range = fn.ranges[0]!;
      const text = source.slice(range.startOffset, Math.min(range.endOffset, range.startOffset + 70)).replace(/\s+/g, ' ');
      return { count: range.count, what: `${fn.functionName || '(anonymous)'}: ${text}${range.endOffset - range.startOffset > 70 ? '…' : ''}` };
    })
    .sort((a, b) => b.count - a.count)
    .slice(0, 3);
}

interface ProfileLine {
  selfPercent: number;
  where: string;
}

/**
 * One round under Chromium's sampling profiler: self time by function, top first, and the share of
 * the setup's own script (its listener and whatever that calls in it) with the round's loop time.
 */
async function profileRound(setup: Setup, cdp: CDPSession, origin: string, types: readonly string[], reuse: boolean) {
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const loopMs = await dispatch(setup, types, eventsPerRound, reuse);
  const { profile: cpuProfile } = await cdp.send('Profiler.stop');
  const selfSamples = new Map<string, number>();
  let total = 0;
  let ownScript = 0;
  for (const node of cpuProfile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (url === origin + setup.scriptPath) ownScript += hits;
    const file = url ? `${url.replace(/^.*\//, '')}:${lineNumber + 1}:${columnNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
    selfSamples.set(key, (selfSamples.get(key) ?? 0) + hits);
    total += hits;
  }
  const top: ProfileLine[] = [...selfSamples]
    .map(([where, hits]) => ({ where, selfPercent: (100 * hits) / total }))
    .sort((a, b) => b.selfPercent - a.selfPercent)
    .slice(0, 8);
  return { top, loopMs, ownScriptShare: ownScript / total };
}

const ns = (value: number): string => value.toFixed(0).padStart(6);
const ratio = (value: number): string => `${value.toFixed(2)}×`;
const round2 = (value: number): number => Math.round(value * 100) / 100;

async function main(): Promise<void> {
  if (browserUnavailable) throw new Error(`bench:client needs Chromium: ${browserUnavailable}`);
  const iife = await readFile(new URL('dist/idle-logout.iife.js', root), 'utf8').catch(() => {
    throw new Error('bench:client: dist/idle-logout.iife.js is missing; run `npm run build` first.');
  });
  const bundles = await bundlePages();
  const files = new Map<string, { type: string; body: string }>([['/idle-logout.iife.js', { type: 'text/javascript', body: iife }]]);
  for (const [name, body] of bundles) files.set(`/bundles/${name}`, { type: 'text/javascript', body });
  for (const setup of setups) files.set(`/${setup}.html`, { type: 'text/html', body: pageHtml(setup) });
  const sourceOf = (setup: Setup): string => files.get(setup.scriptPath)!.body;

  const server = await startServer(files);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const open: Setup[] = [];
    for (const name of setups) open.push(await openSetup(browser, server.origin, name));
    const byName = (name: SetupName): Setup => open.find((setup) => setup.name === name)!;

    const loadBefore = loadavg()[0]!;
    const measured = {} as Record<MixName, Record<Mode, Measured>>;
    for (const mix of mixes) {
      measured[mix.name] = { created: await measureMix(open, mix.types, false), reused: await measureMix(open, mix.types, true) };
    }

    // Proof that each setup's listener ran, per mix: call counts, then the library's own state.
    const calls = {} as Record<MixName, Record<SetupName, CallCount[]>>;
    const cdps = new Map<SetupName, CDPSession>();
    for (const setup of open) {
      const cdp = await setup.context.newCDPSession(setup.page);
      await cdp.send('Profiler.enable');
      cdps.set(setup.name, cdp);
    }
    for (const mix of mixes) {
      calls[mix.name] = {} as Record<SetupName, CallCount[]>;
      for (const setup of open) calls[mix.name][setup.name] = await countListenerCalls(setup, cdps.get(setup.name)!, server.origin, mix.types, sourceOf(setup));
    }
    const checks = new Map<SetupName, { ok: boolean; detail: string }>();
    for (const setup of open) checks.set(setup.name, (await setup.page.evaluate('window.benchHarness.check()')) as { ok: boolean; detail: string });

    const figures = (mix: MixName, mode: Mode = 'created') => {
      const m = measured[mix][mode];
      return {
        bareNsPerEvent: round2(m.bare.nsPerEvent),
        idleLogoutNsPerEvent: round2(m['idle-logout'].nsPerEvent),
        reactIdleTimerNsPerEvent: round2(m['react-idle-timer'].nsPerEvent),
        idleLogoutVsBare: round2(m['idle-logout'].nsPerEvent / m.bare.nsPerEvent),
        reactIdleTimerVsBare: round2(m['react-idle-timer'].nsPerEvent / m.bare.nsPerEvent),
        idleLogoutVsReactIdleTimer: round2(m['idle-logout'].nsPerEvent / m['react-idle-timer'].nsPerEvent),
      };
    };

    console.log(
      `bench:client — ${eventsPerRound.toLocaleString('en')} events per round, median of ${rounds} rounds after ${warmupRuns}×${warmupEvents.toLocaleString('en')} warm-up; ` +
        `${await browser.version()} headless; ${cpus().length} CPUs, load ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
    );
    const verdicts: { mix: MixName; mode: Mode; within2x: boolean; fasterThanRit: boolean }[] = [];
    for (const mix of mixes) {
      console.log(`\nmix "${mix.name}": ${mix.types.join(', ')} in turn, dispatched on document`);
      console.log('                   new event each time (target)      one event per type, re-dispatched');
      console.log('setup              ns/event  vs bare  rounds min–max  ns/event  vs bare  rounds min–max  listener calls/event');
      for (const name of setups) {
        const top = calls[mix.name][name][0];
        const perEvent = top ? (top.count / checkEvents).toFixed(2) : 'none';
        const cells = modes.map((mode) => {
          const m = measured[mix.name][mode];
          const spread = `${Math.min(...m[name].rounds).toFixed(0)}–${Math.max(...m[name].rounds).toFixed(0)}`;
          return `${ns(m[name].nsPerEvent)}    ${ratio(m[name].nsPerEvent / m.bare.nsPerEvent).padStart(6)}  ${spread.padEnd(14)}`;
        });
        console.log(`${name.padEnd(18)} ${cells.join('  ')}  ${perEvent}`);
      }
      for (const mode of modes) {
        const f = figures(mix.name, mode);
        const within2x = f.idleLogoutVsBare <= targets.idleLogoutVsBare;
        const fasterThanRit = f.idleLogoutVsReactIdleTimer < targets.idleLogoutVsReactIdleTimer;
        verdicts.push({ mix: mix.name, mode, within2x, fasterThanRit });
        console.log(
          `${mode === 'created' ? 'new event each time' : 're-dispatched      '}: idle-logout ≤ 2× bare ${within2x ? 'pass' : 'MISS'} (${ratio(f.idleLogoutVsBare)}); ` +
            `idle-logout faster than react-idle-timer ${fasterThanRit ? 'pass' : 'MISS'} (idle-logout / react-idle-timer ${ratio(f.idleLogoutVsReactIdleTimer)})`,
        );
      }
    }

    console.log(`\nlisteners ran (calls of each setup's own functions over ${checkEvents.toLocaleString('en')} events, V8 precise coverage; top function):`);
    for (const mix of mixes) {
      for (const name of setups) {
        const top = calls[mix.name][name][0];
        console.log(`  ${mix.name.padEnd(12)} ${name.padEnd(17)} ${top ? `${String(top.count).padStart(5)} × ${top.what}` : 'NO CALLS'}`);
      }
    }
    console.log('state after the events:');
    for (const name of setups) console.log(`  ${name.padEnd(17)} ${checks.get(name)!.ok ? 'ok  ' : 'FAIL'} ${checks.get(name)!.detail}`);
    console.log(`bench server saw: ${[...server.requests].map(([route, count]) => `${route} ×${count}`).join(', ')}`);
    for (const setup of open) for (const error of setup.errors) console.log(`  page error (${setup.name}): ${error}`);

    const missed = verdicts.filter((v) => v.mode === 'created' && (!v.within2x || !v.fasterThanRit));
    if (missed.length || profile) {
      const mix = mixes.find((m) => m.name === missed[0]?.mix) ?? mixes[0];
      for (const mode of modes) {
        console.log(`\nwhere the time goes (CPU profile of one ${eventsPerRound.toLocaleString('en')}-event round, mix "${mix.name}", ${mode === 'created' ? 'new event each time' : 're-dispatched'}, self time):`);
        for (const name of setups) {
          const { top, loopMs, ownScriptShare } = await profileRound(byName(name), cdps.get(name)!, server.origin, mix.types, mode === 'reused');
          const callsPerEvent = (calls[mix.name][name][0]?.count ?? 0) / checkEvents;
          // An estimate: the sampled share of the setup's own script times the (profiled) loop time.
          const nsPerCall = callsPerEvent ? (ownScriptShare * loopMs * 1e6) / (eventsPerRound * callsPerEvent) : NaN;
          console.log(
            `  ${name}: loop ${((loopMs * 1e6) / eventsPerRound).toFixed(0)} ns/event under the profiler; its own script ${(100 * ownScriptShare).toFixed(1)}% ` +
              `≈ ${nsPerCall.toFixed(0)} ns per listener call (${callsPerEvent.toFixed(2)} calls/event)`,
          );
          for (const line of top) console.log(`    ${line.selfPercent.toFixed(1).padStart(5)}%  ${line.where}`);
        }
      }
    }

    // idle-logout stops listening for its throttle window after each report, so over a short
    // coverage window it may run no code at all: that is the point. Its state check above (the
    // shared lastActivityAt moved) proves input reached it; the other two must show calls.
    const broken =
      [...checks.values()].some((check) => !check.ok) ||
      mixes.some((mix) => setups.some((name) => name !== 'idle-logout' && !calls[mix.name][name][0]));
    if (broken) process.exitCode = 1;
    console.log(
      JSON.stringify({
        ...figures('pointer+key'),
        targetsMet: verdicts.filter((v) => v.mode === 'created').every((v) => v.within2x && v.fasterThanRit),
        mix: mixes[0].types,
        mouseMix: { types: mixes[1].types, ...figures('mouse+key') },
        reDispatched: { ...figures('pointer+key', 'reused'), mouseMix: figures('mouse+key', 'reused') },
        listenersVerified: !broken,
      }),
    );
  } finally {
    await browser?.close();
    await server.close();
  }
}

const watchdog = setTimeout(() => {
  console.error(`bench:client: gave up after ${runTimeoutMs / 1000} s`);
  process.exit(1);
}, runTimeoutMs);
watchdog.unref();
main().then(
  () => clearTimeout(watchdog),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
