import { builtinModules } from 'node:module';
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

export default defineConfig(({ mode }) => ({
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
    include: ['client/**/*.test.ts', 'server/**/*.test.ts', 'demo/**/*.test.ts', 'e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
}));
