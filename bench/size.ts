// npm run size — min+gzip bytes of what browsers download (run `npm run build` first):
//   dist/idle-logout.iife.js            the script-tag file, everything bundled
//   idle-logout/client (ESM), minified  as an app's bundler would ship it: our code alone, and with
//                                       its dependencies (idb-keyval, broadcast-channel) bundled too
// Also fails if the script-tag file would register `unload`/`beforeunload` listeners (bfcache).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';

const gzipBytes = (code: string | Uint8Array): number => gzipSync(code, { level: 9 }).length;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;
const rows: [string, number, number][] = [];

const iife = readFileSync('dist/idle-logout.iife.js', 'utf8');
rows.push(['dist/idle-logout.iife.js (script tag, all bundled)', iife.length, gzipBytes(iife)]);

for (const bundleDependencies of [false, true]) {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry: 'client/index.ts', formats: ['es'], fileName: () => 'index.js' },
      rolldownOptions: bundleDependencies ? {} : { external: (id: string) => /^[@a-z]/i.test(id) },
    },
  })) as Rolldown.RolldownOutput[] | Rolldown.RolldownOutput;
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).filter((c) => c.type === 'chunk');
  const code = chunks.map((c) => (c as Rolldown.OutputChunk).code).join('\n');
  rows.push([`idle-logout/client ESM, minified${bundleDependencies ? ', dependencies bundled' : ''}`, code.length, gzipBytes(code)]);
}

const width = Math.max(...rows.map(([name]) => name.length));
console.log(`${'file'.padEnd(width)}   ${'min'.padStart(9)}   ${'min+gzip'.padStart(9)}`);
for (const [name, min, gz] of rows) console.log(`${name.padEnd(width)}   ${kb(min).padStart(9)}   ${kb(gz).padStart(9)}   (${gz} B)`);

const TARGET_BYTES = 12 * 1024;
const iifeGzip = rows[0]![2];
console.log(iifeGzip <= TARGET_BYTES ? `script tag within the ${kb(TARGET_BYTES)} target` : `script tag OVER the ${kb(TARGET_BYTES)} target`);
if (/["'](?:before)?unload["']/.test(iife)) {
  console.error('dist/idle-logout.iife.js mentions an unload/beforeunload listener: that keeps pages out of the bfcache.');
  process.exitCode = 1;
}
