// Builds the demo's pages (demo/web) into dist/demo; the demo server serves them.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const web = (file: string) => fileURLToPath(new URL(`./web/${file}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  // Vite warns that the SDK's classic <script> is not bundled: that is the point (users load it so).
  logLevel: 'error',
  build: {
    outDir: fileURLToPath(new URL('../dist/demo', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: {
      input: { index: web('index.html'), app: web('app.html'), 'signed-out': web('signed-out.html') },
    },
  },
});
