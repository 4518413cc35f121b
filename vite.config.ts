import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BuildEnvironmentOptions, LibraryOptions, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

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

/**
 * The browser builds: everything bundled and minified, with a source map. Terser with three passes
 * rather than the default minifier: about 2.5 % fewer gzip bytes of the script-tag file, whose
 * 12 KB budget every page pays (bench/size.ts); a build takes a second longer. `ecma: 2020` lets it
 * write ES2020 syntax (`??`, `?.`, shorthand methods; the build targets ES2022 anyway): 25 B fewer.
 */
const browserBuild = (lib: LibraryOptions): BuildEnvironmentOptions => ({
  outDir: 'dist',
  emptyOutDir: false,
  target: 'es2022',
  minify: 'terser',
  terserOptions: { ecma: 2020, compress: { passes: 3, unsafe_arrows: true, unsafe_methods: true }, mangle: true, toplevel: true },
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
  iife: browserBuild({ entry: 'client/script-tag.ts', formats: ['iife'], name: 'IdleLogout', fileName: () => 'idle-logout.iife.js' }),
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
      include: ['protocol/**/*.test.ts', 'client/**/*.test.ts', 'server/**/*.test.ts', 'demo/**/*.test.ts', 'e2e/**/*.test.ts', 'package/*.test.ts', 'docs/examples/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
    },
  };
});
