// Finishes dist/types after `tsc -p tsconfig.build.json` (run by `npm run build`):
//
// 1. Relative specifiers end in `.js`, not `.ts`. Our sources import `./x.ts` (the form Node, Deno and
//    Bun run directly) and `rewriteRelativeImportExtensions` rewrites them in JavaScript output only;
//    TypeScript before 5.0 cannot resolve `./x.ts` in a declaration file, `./x.js` works in every
//    version and resolution mode (package/pack.test.ts checks 4.9, 5.0 and today's).
// 2. dist/types/global.d.ts types `window.IdleLogout`, the global of the script-tag file, for
//    `/// <reference types="idle-logout/global" />` or `import 'idle-logout/idle-logout.iife.js'`.
// 3. Only declarations that an entry of package.json's `exports` reaches stay: tsc writes one for
//    every file it read, test tables of the contract suite included.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

const TYPES_DIR = 'dist/types';

/** `from './a.ts'`, `import('../b.ts')`, `import './c.ts'` → `.js`; package specifiers are left alone. */
function withJsSpecifiers(declarations: string): string {
  return declarations.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
}

/** The declaration files a declaration file imports. */
function importedDeclarations(file: string, declarations: string): string[] {
  return [...declarations.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*?)\.js['"]/g)].map(([, path]) => resolve(dirname(file), `${path}.d.ts`));
}

const GLOBAL_DECLARATIONS = `// window.IdleLogout: the exports of dist/idle-logout.iife.js, the script-tag file (client/script-tag.ts).
// \`/// <reference types="idle-logout/global" />\` in a page's script, or \`import 'idle-logout/idle-logout.iife.js'\`.
import type * as ScriptTag from './client/script-tag.js';

declare global {
  /** The script-tag file's API: \`IdleLogout.handle\`, \`IdleLogout.startIdleLogout()\`, … */
  var IdleLogout: typeof ScriptTag;
}

export {};
`;

async function main(): Promise<void> {
  await writeFile(join(TYPES_DIR, 'global.d.ts'), GLOBAL_DECLARATIONS);
  const files = (await readdir(TYPES_DIR, { recursive: true })).filter((file) => file.endsWith('.d.ts')).map((file) => resolve(TYPES_DIR, file));
  const texts = new Map<string, string>();
  for (const file of files) {
    const before = await readFile(file, 'utf8');
    const after = withJsSpecifiers(before);
    if (after !== before) await writeFile(file, after);
    texts.set(file, after);
  }

  const { exports } = JSON.parse(await readFile('package.json', 'utf8')) as { exports: Record<string, string | { types?: string }> };
  const entries = Object.values(exports).flatMap((target) => (typeof target === 'object' && target.types ? [resolve(target.types)] : []));
  const reached = new Set<string>();
  for (const queue = [...entries]; queue.length > 0; ) {
    const file = queue.pop()!;
    const text = texts.get(file);
    if (text === undefined) throw new Error(`package.json exports types that tsc did not write: ${file}`);
    if (reached.has(file)) continue;
    reached.add(file);
    queue.push(...importedDeclarations(file, text));
  }
  for (const file of files) if (!reached.has(file)) await rm(file);
}

await main();
