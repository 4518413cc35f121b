// npm run size — min+gzip bytes of what browsers download (run `npm run build` first):
//   dist/idle-logout.iife.js            the script-tag file, everything bundled
//   idle-logout/client (ESM), minified  as an app's bundler would ship it: our code alone, and with
//                                       its dependencies (idb-keyval, broadcast-channel) bundled too
//   idle-logout/react (ESM), minified   what the React entry adds over the client: its own code, with
//                                       react and the client as imports (as dist/client/react.js has them)
// Also fails if the script-tag file would register `unload`/`beforeunload` listeners (bfcache).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';

const gzipBytes = (code: string | Uint8Array): number => gzipSync(code, { level: 9 }).length;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;
const rows: [string, number, number][] = [];

const iife = readFileSync('dist/idle-logout.iife.js', 'utf8');
rows.push(['dist/idle-logout.iife.js (script tag, all bundled)', iife.length, gzipBytes(iife)]);

/** An entry minified as an app's bundler would ship it; imports that `external` names stay imports. */
async function minifiedEsm(entry: string, external?: (id: string) => boolean): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: () => 'index.js' },
      rolldownOptions: external ? { external } : {},
    },
  })) as Rolldown.RolldownOutput[] | Rolldown.RolldownOutput;
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).filter((c) => c.type === 'chunk');
  return chunks.map((c) => (c as Rolldown.OutputChunk).code).join('\n');
}

const isPackage = (id: string): boolean => /^[@a-z]/i.test(id);
for (const bundleDependencies of [false, true]) {
  const code = await minifiedEsm('client/index.ts', bundleDependencies ? undefined : isPackage);
  rows.push([`idle-logout/client ESM, minified${bundleDependencies ? ', dependencies bundled' : ''}`, code.length, gzipBytes(code)]);
}
// client/react.ts imports the client as './index.ts' (dist/client/react.js as './index.js').
const react = await minifiedEsm('client/react.ts', (id) => isPackage(id) || id === './index.ts');
rows.push(['idle-logout/react ESM, minified (added over the client)', react.length, gzipBytes(react)]);

const width = Math.max(...rows.map(([name]) => name.length));
console.log(`${'file'.padEnd(width)}   ${'min'.padStart(9)}   ${'min+gzip'.padStart(9)}`);
for (const [name, min, gz] of rows) console.log(`${name.padEnd(width)}   ${kb(min).padStart(9)}   ${kb(gz).padStart(9)}   (${gz} B)`);

const TARGET_BYTES = 12 * 1024;
const iifeGzip = rows[0]![2];
console.log(iifeGzip <= TARGET_BYTES ? `script tag within the ${kb(TARGET_BYTES)} target` : `script tag OVER the ${kb(TARGET_BYTES)} target`);
const REACT_TARGET_BYTES = 1024;
const reactGzip = rows.at(-1)![2];
console.log(reactGzip <= REACT_TARGET_BYTES ? `React entry within the ${kb(REACT_TARGET_BYTES)} target` : `React entry OVER the ${kb(REACT_TARGET_BYTES)} target`);
if (/["'](?:before)?unload["']/.test(iife)) {
  console.error('dist/idle-logout.iife.js mentions an unload/beforeunload listener: that keeps pages out of the bfcache.');
  process.exitCode = 1;
}
