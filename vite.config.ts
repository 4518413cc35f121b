import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BuildEnvironmentOptions, LibraryOptions, Plugin } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';
import type { ActivityListenerOptions } from './client/activity.ts';
import type { ErrorBody, KeepaliveBody, StatusBody } from './protocol/index.ts';
import type { CoreConfig, CoreEvent, CoreState, Effect, Patch, ServerResult, SharedRecord, StepResult } from './client/core.ts';
import type { Shells } from './client/effects.ts';
import type { IdleLogoutEvents } from './client/events.ts';
import type { IdleLogoutSnapshot } from './client/external-store.ts';
import type { HoldKeeper, HoldState } from './client/hold.ts';
import type { IdleLogoutHost, ResolvedHost } from './client/host.ts';
import type { WorkKeeperOptions } from './client/keep-work.ts';
import type { DialogOptions, IdleLogoutOptions } from './client/options.ts';
import type { PageShell, PageShellOptions } from './client/page.ts';
import type { WarningDialog } from './client/dialog.ts';
import type { LocalView, LocalViewOptions, SharedStore } from './client/shared-state.ts';
import type { IdleLogoutHandle } from './client/start.ts';
import type { DialogStrings } from './client/strings.ts';
import type { Scheduler, SchedulerOptions } from './client/scheduler.ts';
import type { TabSync, TabSyncHandlers } from './client/tab-sync.ts';
import type { Transport } from './client/transport.ts';

// One config for the build and for Vitest.
// Server tests run in Node; client tests opt into happy-dom per file or by folder below.
//
// `npm run build` runs three builds (one Vite build has one output format and one set of externals):
//   vite build --mode server  → dist/server/{index,redis,testing}.js: ESM for `idle-logout/server`,
//                               `/server/redis` and `/server/testing`; hono, redis and vitest stay imports
//                               (the app's own copies, optional peers).
//   vite build --mode client  → dist/client/index.js: `idle-logout/client`, self-contained ESM (idb-keyval
//                               and broadcast-channel bundled, minified), so that one file serves bundlers,
//                               `<script type="module">` and CDNs, and the package has no dependencies:
//                               a server-only install pulls nothing of the client's (package/pack.test.ts).
//   vite build --mode iife    → dist/idle-logout.iife.js: the script-tag file, everything bundled
//                               (dialog, idb-keyval, the native channel), global `IdleLogout`.
//   vite build --mode react   → dist/client/react.js: `idle-logout/react`, its own code only; `react` (the
//                               app's, an optional peer) and the client (./index.js beside it) stay imports.
const clusterSuite = 'server/redis-cluster.test.ts';

// `react` is an optional peer of `^18.0.0 || ^19.0.0`, so the React binding's tests run on both: the
// `main` project on the `react` and `react-dom` devDependencies (19), the `react-18` project on the
// same files with those names resolved into client/testing/react-18, a private package of its own
// (a `file:` devDependency) whose node_modules npm fills with react and react-dom 18. It cannot be
// npm aliases beside the 19s (`react-18: npm:react@^18`): react-dom requires `react` by that name,
// which from node_modules/react-dom-18 finds the top-level 19 (npm puts a peer beside its dependent,
// never nested under it), and Vitest's dependency optimizer, which would apply the alias inside
// react-dom, always leaves `react` out. In its own folder, react-dom 18 finds the react 18 beside it.
// Each project tells the test which major it should find (`provide`), so an alias that stopped
// applying fails the run instead of testing 19 twice.
const reactBindingSuites = ['client/react.test.ts', 'client/react.ssr.test.ts'];
const react18Modules = fileURLToPath(new URL('client/testing/react-18/node_modules/', import.meta.url));
const react18 = [
  { find: /^react(\/jsx-runtime)?$/, replacement: `${react18Modules}react$1` },
  { find: /^react-dom(\/client|\/server)?$/, replacement: `${react18Modules}react-dom$1` },
];

const external = (id: string): boolean =>
  id.startsWith('node:') || builtinModules.includes(id) || /^[@a-z]/i.test(id); // bare imports: packages

// broadcast-channel's method chooser imports every method it has, so a bundler keeps them all.
// In `idle-logout/client`, two can never run: client/tab-sync.ts makes channels with
// `webWorkerSupport: false`, with which the chooser skips the IndexedDB method, and 'simulate' runs
// only when asked for by `type`. Stand-ins with the same exports let the bundle drop them; should the
// package rename them, the build fails on the missing export rather than ship broken.
const dropUnusedBroadcastChannelMethods: Plugin = {
  name: 'drop-unused-broadcast-channel-methods',
  enforce: 'pre',
  load(id) {
    const file = /[\\/]broadcast-channel[\\/]dist[\\/]esbrowser[\\/]methods[\\/](indexed-db|simulate)\.js$/.exec(id)?.[1];
    if (file === 'indexed-db') return "export const IndexedDBMethod = { type: 'idb', canBeUsed: () => false };";
    if (file === 'simulate') return "export const SimulateMethod = { type: 'simulate', canBeUsed: () => false };";
    return null;
  },
};

// The script-tag file goes further and keeps only the native BroadcastChannel, through
// client/native-channel.ts in place of the package. The rest serves only browsers without a native
// channel (Safari before 15.4, March 2022) through localStorage, and costs about 1.4 KB gzip of that
// file's 12 KB budget for everyone. There, tab-sync.ts goes on without a channel: the tabs still
// share one deadline in IndexedDB and re-read it when they wake (timer, focus, visibility, input),
// so a sign-out reaches a background tab when it next wakes rather than within 1 s. The npm build
// keeps the package with its localStorage fallback.
const nativeChannelOnly = { 'broadcast-channel': fileURLToPath(new URL('client/native-channel.ts', import.meta.url)) };

/** Every named key of every member of a union (an index signature, as `Record<string, never>` has, names none). */
type KeysOf<T> = T extends unknown ? { [K in keyof T]-?: string extends K ? never : K }[keyof T] : never;
/**
 * Property names that leave the script-tag file: the public API (options, host parts, handle,
 * events, snapshot, dialog strings), what is stored in IndexedDB or posted to other tabs (whose
 * code may come from the npm build), and what crosses the network. Never renamed. (The core's
 * events and effects stay inside: those of their names that are not also outside can be renamed.)
 */
type Outside =
  | KeysOf<SharedRecord | Patch | ServerResult | IdleLogoutEvents[keyof IdleLogoutEvents]>
  | KeysOf<StatusBody | KeepaliveBody | ErrorBody | Awaited<ReturnType<SharedStore['write']>>>
  | KeysOf<IdleLogoutOptions | DialogOptions | DialogStrings | IdleLogoutHost | IdleLogoutHandle | IdleLogoutSnapshot | WorkKeeperOptions>
  | KeysOf<SharedStore | Transport | TabSync | TabSyncHandlers>;

/**
 * The platform objects whose properties the client reads or writes (DOM, IndexedDB, fetch,
 * built-ins; of a style only `visibility`: its CSS names include `page`). Terser keeps its own list
 * of every DOM property name from renaming, which would also keep those of ours that happen to
 * share one (`config`, `page`, `sync`, `state`…); with that list lifted (`builtins` below), this
 * check does its job for the objects we touch: no renamed name is one of theirs.
 */
type Platform = Window | Document | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLOptionElement |
  HTMLDialogElement | HTMLButtonElement | HTMLScriptElement | ShadowRoot | CSSStyleSheet | Pick<CSSStyleDeclaration, 'visibility'> |
  KeyboardEvent | PageTransitionEvent | MessageEvent | ToggleEvent | IDBOpenDBRequest | IDBTransaction | IDBDatabase |
  IDBObjectStore | BroadcastChannel | AbortController | AbortSignal | Location | URL | URLSearchParams | Navigator |
  LockManager | Performance | PerformanceNavigationTiming | Response | Promise<unknown> | Map<unknown, unknown> |
  Set<unknown> | WeakMap<object, unknown> | Intl.PluralRules | Console | typeof globalThis;

/**
 * Properties of the client's in-memory state and of its shells' wiring, which no code outside the
 * script-tag file ever reads: there terser renames them like local variables (about 350 B gzip of
 * its 12 KB budget; each appears 2 to 20 times). `satisfies` keeps the list honest: a name must be
 * a member of one of these internal interfaces, of no `Outside` shape and of no `Platform` object.
 * Only that file: the npm build's separate files (client/index.js, client/react.js) would each
 * rename differently.
 */
const INTERNAL_PROPERTIES = [
  ...['started', 'trusted', 'localActivityAt', 'readAt', 'inflight', 'awaitingClaim', 'failures', 'retryAt', 'retryKind'],
  ...['errorReported', 'signingOut', 'hookStarted', 'hookRunning', 'shownPhase', 'shownWarningAt', 'clockOffsetMs', 'clockCheckAt', 'config'],
  ...['visible', 'isLeader', 'stayed', 'notice', 'sharedRecord'],
  ...['hasBeforeSignOut', 'monoNow', 'onWake', 'onFailure', 'onCaughtUp', 'inputAt', 'live', 'renewedAt', 'leave', 'hide'],
  ...['awaitingFreshRecord', 'showCountdown', 'closeWarning', 'showSignedOut', 'reveal', 'teardown', 'dispatch', 'sync', 'page', 'emit', 'stopped'],
  ...['onRestored', 'onStay', 'onSignOut', 'onActivity', 'learn', 'wakeAt', 'effects'],
] as const satisfies readonly Exclude<
  KeysOf<
    | CoreState
    | CoreEvent
    | Effect
    | CoreConfig
    | StepResult
    | PageShell
    | PageShellOptions
    | Shells
    | ResolvedHost
    | ActivityListenerOptions
    | LocalView
    | LocalViewOptions
    | Scheduler
    | SchedulerOptions
    | HoldState
    | HoldKeeper
    | WarningDialog
  >,
  Outside | KeysOf<Platform> | keyof string | keyof unknown[] // (arrays and strings: `keyof`, their index is a number)
>[];

/**
 * The browser builds: everything bundled and minified, with a source map. Terser with five passes
 * rather than the default minifier: about 2.6 % fewer gzip bytes of the script-tag file, whose
 * 12 KB budget every page pays (bench/size.ts); a build takes a second or two longer (passes 4 and 5: 10 B). `ecma: 2020` lets it
 * write ES2020 syntax (`??`, `?.`, shorthand methods; the build targets ES2022 anyway): 25 B fewer.
 */
const browserBuild = (lib: LibraryOptions, renameInternalProperties = false): BuildEnvironmentOptions => ({
  outDir: 'dist',
  emptyOutDir: false,
  target: 'es2022',
  minify: 'terser',
  terserOptions: {
    ecma: 2020,
    compress: { passes: 5, unsafe_arrows: true, unsafe_methods: true },
    // builtins: the list's names are renamed even where terser's DOM list has them too (`Platform`).
    mangle: renameInternalProperties ? { properties: { builtins: true, regex: new RegExp(`^(${INTERNAL_PROPERTIES.join('|')})$`) } } : true,
    toplevel: true,
  },
  sourcemap: true,
  lib,
});

// The React entry imports the client's entry, which must stay the one copy the app has (one handle per
// page is a module-level rule, and the bytes would count twice): resolved to dist/client/index.js.
const clientAsImport: Plugin = {
  name: 'client-as-import',
  enforce: 'pre',
  resolveId: (source, importer) => (source === './index.ts' && importer?.endsWith('react.ts') ? { id: './index.js', external: 'relative' } : null),
};

const builds: Record<string, BuildEnvironmentOptions> = {
  server: {
    outDir: 'dist',
    emptyOutDir: true, // the first of the three: nothing stale (a deleted module's types) gets packed

    target: 'es2022',
    minify: false, // readable in node_modules; servers do not download it
    sourcemap: true,
    lib: {
      entry: { 'server/index': 'server/index.ts', 'server/redis': 'server/redis.ts', 'server/testing': 'server/testing/store-contract.ts' },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: { external, output: { chunkFileNames: 'server/[name]-[hash].js' } },
  },
  client: browserBuild({ entry: { 'client/index': 'client/index.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.js` }),
  iife: {
    ...browserBuild({ entry: 'client/script-tag.ts', formats: ['iife'], name: 'IdleLogout', fileName: () => 'idle-logout.iife.js' }, true),
    // No Symbol.toStringTag on the global (String(IdleLogout) is "[object Object]", not "[object Module]"): 29 B gzip.
    rolldownOptions: { output: { generatedCode: { symbols: false } } },
  },
  react: {
    ...browserBuild({ entry: { 'client/react': 'client/react.ts' }, formats: ['es'], fileName: (_format, name) => `${name}.js` }),
    rolldownOptions: { external: (id) => id === 'react' || id.startsWith('react/') },
  },
};

export default defineConfig(({ command, mode }) => {
  const build = builds[mode];
  if (command === 'build' && !build) throw new Error(`vite build: no build called "${mode}"; use --mode ${Object.keys(builds).join(' | ')}.`);
  return {
    plugins: mode === 'client' ? [dropUnusedBroadcastChannelMethods] : mode === 'react' ? [clientAsImport] : [],
    ...(mode === 'iife' ? { resolve: { alias: nativeChannelOnly } } : {}),
    ...(build ? { build } : {}),
    test: {
      environment: 'node',
      testTimeout: 20_000,
      projects: [
        {
          extends: true,
          test: {
            name: 'main',
            include: ['protocol/**/*.test.ts', 'client/**/*.test.ts', 'server/**/*.test.ts', 'demo/**/*.test.ts', 'e2e/**/*.test.ts', 'package/*.test.ts', 'docs/examples/*.test.ts'],
            exclude: [...configDefaults.exclude, clusterSuite],
            provide: { reactMajor: '19' },
            sequence: { groupOrder: 0 },
          },
        },
        // The Redis Cluster suite starts six redis-servers and SIGKILLs a master under load (about
        // a minute). It runs alone, after every other file (a later group), so it never takes the
        // CPU from the timing-sensitive suites on a 2-core machine, nor they from its failover.
        { extends: true, test: { name: 'redis-cluster', include: [clusterSuite], sequence: { groupOrder: 1 }, testTimeout: 60_000 } },
        {
          extends: true,
          resolve: { alias: react18 },
          test: {
            name: 'react-18',
            include: reactBindingSuites,
            provide: { reactMajor: '18' },
          },
        },
      ],
    },
  };
});
