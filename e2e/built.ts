// The browser suites run what an app ships: files that `npm run build` writes to dist/. `npm test`
// builds first; a suite run on its own (`npx vitest run e2e/…`) after a source change would
// otherwise test the old build and fail, or pass, for reasons no one can see.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = new URL('..', import.meta.url);

/** Where the shipped files are built from: a change here needs a new build. */
const SOURCE_DIRECTORIES = ['client', 'protocol'];

/** Per project root, the newest source: sources do not change while the suites run, so one look each. */
const newestSources = new Map<string, Promise<{ path: string; modifiedMs: number }>>();
function newestSource(root: URL): Promise<{ path: string; modifiedMs: number }> {
  let newest = newestSources.get(root.href);
  if (newest === undefined) newestSources.set(root.href, (newest = findNewestSource(root)));
  return newest;
}

/** The newest source file under SOURCE_DIRECTORIES (tests and test helpers left out) and its time. */
async function findNewestSource(root: URL): Promise<{ path: string; modifiedMs: number }> {
  let newest = { path: '', modifiedMs: 0 };
  for (const directory of SOURCE_DIRECTORIES) {
    const entries = await readdir(new URL(`${directory}/`, root), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !/\.(ts|tsx|css)$/.test(entry.name) || /\.test\.tsx?$/.test(entry.name)) continue;
      const path = join(entry.parentPath, entry.name);
      if (path.includes('/testing/')) continue;
      const { mtimeMs } = await stat(path);
      if (mtimeMs > newest.modifiedMs) newest = { path, modifiedMs: mtimeMs };
    }
  }
  return newest;
}

/**
 * Throws, saying what to run, when a file under dist/ is missing or older than the newest source
 * (`root`: the project's directory, as a file URL ending in `/`).
 *
 * @example
 * await assertBuilt(['dist/client/react.js', 'dist/client/index.js']);
 */
export async function assertBuilt(files: readonly string[], root: URL = projectRoot): Promise<void> {
  const source = await newestSource(root);
  for (const file of files) {
    const built = await stat(new URL(file, root)).catch(() => undefined);
    if (built === undefined) throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` does).`);
    if (built.mtimeMs < source.modifiedMs) {
      const changed = relative(fileURLToPath(root), source.path);
      throw new Error(`${file} is older than ${changed}: it would test the old build. Run \`npm run build\` first (\`npm test\` does).`);
    }
  }
}

/** A built file's text, once `assertBuilt` has found it current. */
export async function builtText(file: string): Promise<string> {
  await assertBuilt([file]);
  return readFile(new URL(file, projectRoot), 'utf8');
}
