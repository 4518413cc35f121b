import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt } from './built.ts';

describe('assertBuilt', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  /** A project with one client source and one built file, their times `sourceAt` and `builtAt` (s). */
  async function project(sourceAt: number, builtAt: number): Promise<URL> {
    directory = await mkdtemp(join(tmpdir(), 'idle-logout-built-'));
    await mkdir(join(directory, 'client'));
    await mkdir(join(directory, 'dist'));
    await writeFile(join(directory, 'client', 'start.ts'), '');
    await writeFile(join(directory, 'client', 'start.test.ts'), ''); // tests do not count
    await writeFile(join(directory, 'dist', 'idle-logout.iife.js'), '');
    await utimes(join(directory, 'client', 'start.ts'), sourceAt, sourceAt);
    await utimes(join(directory, 'client', 'start.test.ts'), sourceAt + 100, sourceAt + 100);
    await utimes(join(directory, 'dist', 'idle-logout.iife.js'), builtAt, builtAt);
    return pathToFileURL(`${directory}/`);
  }

  it('passes a build newer than every source', async () => {
    await expect(assertBuilt(['dist/idle-logout.iife.js'], await project(1_000, 2_000))).resolves.toBeUndefined();
  });

  it('says which source is newer than a stale build, and what to run', async () => {
    await expect(assertBuilt(['dist/idle-logout.iife.js'], await project(2_000, 1_000))).rejects.toThrow(
      'dist/idle-logout.iife.js is older than client/start.ts: it would test the old build. Run `npm run build` first (`npm test` does).',
    );
  });

  it('says what to run when the build is missing', async () => {
    await expect(assertBuilt(['dist/client/react.js'], await project(1_000, 2_000))).rejects.toThrow(
      'dist/client/react.js is missing: run `npm run build` first (`npm test` does).',
    );
  });
});
