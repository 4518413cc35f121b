// Finishes dist/types after `tsc -p tsconfig.build.json` (run by `npm run build`):
//
// 1. Relative specifiers end in `.js`, not `.ts`. Our sources import `./x.ts` (the form Node, Deno and
//    Bun run directly) and `rewriteRelativeImportExtensions` rewrites them in JavaScript output only;
//    TypeScript before 5.0 cannot resolve `./x.ts` in a declaration file, `./x.js` works in every
//    version and resolution mode (package/pack.test.ts checks 4.9 and today's).
// 2. dist/types/global.d.ts types `window.IdleLogout`, the global of the script-tag file, for
//    `/// <reference types="idle-logout/global" />` or `import 'idle-logout/idle-logout.iife.js'`.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const TYPES_DIR = 'dist/types';

/** `from './a.ts'`, `import('../b.ts')`, `import './c.ts'` → `.js`; package specifiers are left alone. */
function withJsSpecifiers(declarations: string): string {
  return declarations.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
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
  const files = (await readdir(TYPES_DIR, { recursive: true })).filter((file) => file.endsWith('.d.ts'));
  for (const file of files) {
    const path = join(TYPES_DIR, file);
    const before = await readFile(path, 'utf8');
    const after = withJsSpecifiers(before);
    if (after !== before) await writeFile(path, after);
  }
  await writeFile(join(TYPES_DIR, 'global.d.ts'), GLOBAL_DECLARATIONS);
}

await main();
