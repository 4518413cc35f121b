import { builtinModules } from 'node:module';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// One config for the build and for Vitest.
// Server tests run in Node; client tests opt into happy-dom per file or by folder below.
//
// `npm run build` runs two builds (one Vite build has one output format):
//   vite build --mode esm   → dist/client/index.js and dist/server/index.js, ESM for `idle-logout/client`
//                             and `idle-logout/server`; dependencies stay imports (npm installs them).
//   vite build --mode iife  → dist/idle-logout.iife.js: the script-tag file, everything bundled
//                             (dialog, broadcast-channel, idb-keyval), global `IdleLogout`.
const external = (id: string): boolean =>
  id.startsWith('node:') || builtinModules.includes(id) || /^[@a-z]/i.test(id); // bare imports: packages

// broadcast-channel's method chooser imports every method it has, so a bundler keeps them all. Two
// can never run in the script-tag file: client/tab-sync.ts makes channels with `webWorkerSupport:
// false`, with which the chooser skips the IndexedDB method, and the 'simulate' method is used only
// when asked for by `type`. Stand-ins with the same exports let the bundle drop them (-1.1 KB gzip);
// should the package rename them, the build fails on the missing export rather than ship broken.
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

export default defineConfig(({ mode }) => ({
  plugins: mode === 'iife' ? [dropUnusedBroadcastChannelMethods] : [],
  build:
    mode === 'iife'
      ? {
          outDir: 'dist',
          emptyOutDir: false,
          target: 'es2022',
          minify: true,
          sourcemap: true,
          lib: {
            entry: 'client/script-tag.ts',
            formats: ['iife'],
            name: 'IdleLogout',
            fileName: () => 'idle-logout.iife.js',
          },
        }
      : {
          outDir: 'dist',
          emptyOutDir: false,
          target: 'es2022',
          minify: false, // readable in node_modules; apps minify their own bundles
          sourcemap: true,
          lib: {
            entry: { 'client/index': 'client/index.ts', 'server/index': 'server/index.ts', 'server/redis': 'server/redis.ts' },
            formats: ['es'],
            fileName: (_format, name) => `${name}.js`,
          },
          rolldownOptions: { external },
        },
  test: {
    include: ['protocol/**/*.test.ts', 'client/**/*.test.ts', 'server/**/*.test.ts', 'demo/**/*.test.ts', 'e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
}));
