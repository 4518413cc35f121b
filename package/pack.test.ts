// The package as a new user meets it: `npm pack` (which builds, through `prepack`), then the tarball
// installed into fresh projects in the temp folder, used the way the README says.
//
// The tarball installs with `--offline`: it has no dependencies, so npm needs nothing else. The
// consumers' own tools (hono, TypeScript, Vite) are this repo's copies, linked in, so that the run
// needs no network. publint, @arethetypeswrong/cli and TypeScript 4.9 (the types' floor) come from
// the npm registry once, into a cache folder in the temp folder; where npm cannot get them, those
// checks skip and say why — except under CI=true, where they must run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** Checkers that need the registry once; the folder name carries the versions, so a bump refetches. */
const TOOLS = ['typescript@4.9.5', 'publint@0.3.25', '@arethetypeswrong/cli@0.18.5'];
const TOOLS_DIR = join(tmpdir(), `idle-logout-pack-tools-${TOOLS.join('+').replace(/[@/]/g, '_')}`);

let work: string;
let tarball: string;
let consumer: string;
/** What `npm install <tarball>` put in the consumer's node_modules, before the test links anything. */
let installedByNpm: string[];
let tools: { dir: string } | { skipped: string };

async function sh(file: string, args: string[], cwd: string, timeout = 60_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

async function installTools(): Promise<{ dir: string } | { skipped: string }> {
  if (existsSync(join(TOOLS_DIR, 'node_modules/.installed'))) return { dir: TOOLS_DIR };
  try {
    await mkdir(TOOLS_DIR, { recursive: true });
    await writeFile(join(TOOLS_DIR, 'package.json'), '{"private":true}\n');
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...TOOLS], TOOLS_DIR, 120_000);
    await writeFile(join(TOOLS_DIR, 'node_modules/.installed'), TOOLS.join('\n'));
    return { dir: TOOLS_DIR };
  } catch (error) {
    if (process.env.CI) throw error;
    return { skipped: `npm could not install ${TOOLS.join(', ')} (${String(error).split('\n')[0]})` };
  }
}

/** The tool's folder, or skips the test with the reason (never under CI: installTools threw there). */
function toolsOrSkip(skip: (note: string) => void): string {
  if ('skipped' in tools) {
    console.warn(`package/pack.test.ts: skipped, ${tools.skipped}`);
    skip(tools.skipped);
    throw new Error('unreachable');
  }
  return tools.dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'idle-logout-pack-'));
  const toolsReady = installTools();
  await sh('npm', ['pack', '--pack-destination', work, '--silent'], ROOT, 90_000);
  const packed = (await readdir(work)).filter((name) => name.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(work, packed[0]!);

  consumer = join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], consumer);
  installedByNpm = (await readdir(join(consumer, 'node_modules'))).filter((name) => !name.startsWith('.'));
  // The app's own files (package/consumer: a server, pages, tsconfigs), and its own hono.
  await cp(fileURLToPath(new URL('consumer', import.meta.url)), consumer, { recursive: true });
  for (const peer of ['hono', 'vitest']) await symlink(join(ROOT, 'node_modules', peer), join(consumer, 'node_modules', peer), 'dir');
  await writeFile(join(consumer, 'server/quick-start.ts'), await quickStartServer());
  tools = await toolsReady;
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The README's Quick start server, as written there, with the one function it leaves to the app. */
async function quickStartServer(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'));
  const code = /```ts\n([\s\S]*?)```/.exec(quickStart)?.[1];
  if (!code) throw new Error('README.md: the Quick start has no ```ts block');
  return `${code}\ndeclare function checkPassword(c: unknown): Promise<string>;\n`;
}

describe('npm pack', () => {
  it('ships the built code, types, LICENSE, CHANGELOG and metadata, and nothing test-only', async () => {
    const files = (await sh('tar', ['-tzf', tarball], work)).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'dist/client/index.js', 'dist/server/index.js', 'dist/server/redis.js', 'dist/server/testing.js', 'dist/idle-logout.iife.js', 'dist/types/global.d.ts']) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /\.test\.|test-tabs|(^|\/)testing\//.test(f) && !/server\/testing(\.js|\.js\.map|\/store-contract\.d\.ts|\/deadline-rule\.d\.ts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/demo') || /^(client|server|protocol|e2e|bench|demo)\//.test(f))).toEqual([]);

    const pkg = JSON.parse(await readFile(join(consumer, 'node_modules/idle-logout/package.json'), 'utf8'));
    expect(pkg.repository?.url).toMatch(/^git\+https:/);
    expect(pkg.homepage).toBeTruthy();
    expect(pkg.bugs?.url).toBeTruthy();
    const changelog = await readFile(join(consumer, 'node_modules/idle-logout/CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`## ${pkg.version}`);
    expect(await readFile(join(consumer, 'node_modules/idle-logout/LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('ships declarations that import no test library and only `.js` relative specifiers', async () => {
    const types = join(consumer, 'node_modules/idle-logout/dist/types');
    const files = (await readdir(types, { recursive: true })).filter((f) => f.endsWith('.d.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = await readFile(join(types, file), 'utf8');
      expect(text, file).not.toMatch(/from ['"](vitest|happy-dom|fake-indexeddb|playwright-core|broadcast-channel|idb-keyval)['"]/);
      expect(text, file).not.toMatch(/(from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*\.ts['"]/);
    }
  });
});

describe('installed from the tarball', () => {
  it('installs nothing else: a server-only app gets no client packages, a client-only app no hono', async () => {
    expect(installedByNpm).toEqual(['idle-logout']);
  });

  it('typechecks the README\'s Quick start server, a strict Hono server and a page using the IdleLogout global, with bundler and nodenext resolution', async () => {
    await sh('node', [TSC, '-p', 'tsconfig.bundler.json'], consumer);
    await sh('node', [TSC, '-p', 'tsconfig.nodenext.json'], consumer);
  });

  it('the README server answers the three protocol routes', async () => {
    await sh('node', [TSC, '-p', 'tsconfig.nodenext.json', '--noEmit', 'false', '--outDir', 'out'], consumer);
    const answers = JSON.parse(await sh('node', ['out/server/check.js'], consumer)) as Record<string, number>;
    expect(answers).toEqual({ 'status signed out': 401, 'sign in': 303, status: 200, keepalive: 200, logout: 200, 'status after logout': 401 });
  });

  it('idle-logout/server/testing runs the store contract suite (with Vitest) in a store author\'s project: passes a good store, fails a broken one', async () => {
    // A Vitest of its own in the consumer, as a store author runs it; the outer run's variables would
    // make it think it is a worker of this one.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_ENV'));
    const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs');
    await run('node', [vitest, 'run', 'store', '--reporter=json', '--outputFile=store-results.json'], { cwd: consumer, env, timeout: 60_000 }).catch(() => undefined);
    const report = JSON.parse(await readFile(join(consumer, 'store-results.json'), 'utf8')) as {
      testResults: { name: string; assertionResults: { status: string }[] }[];
    };
    const counts = (file: string) => {
      const results = report.testResults.find((r) => r.name.endsWith(file))?.assertionResults ?? [];
      return { passed: results.filter((r) => r.status === 'passed').length, failed: results.filter((r) => r.status === 'failed').length };
    };
    const good = counts('memory.test.ts');
    expect(good.failed).toBe(0);
    expect(good.passed).toBeGreaterThan(10);
    expect(counts('forgetful.test.ts').failed).toBeGreaterThan(0);
  });

  it('require() loads the server entries (Node ≥ 20.19 loads ES modules with require)', async () => {
    expect((await sh('node', ['require.cjs'], consumer)).trim()).toBe('function function function');
  });

  it('importing idle-logout/client during server-side rendering (Node, no DOM) is harmless', async () => {
    const out = await sh('node', ['--input-type=module', '-e', "const m = await import('idle-logout/client'); console.log(typeof m.startIdleLogout)"], consumer);
    expect(out.trim()).toBe('function');
  });

  it('the browser ES module imports nothing by bare name, so <script type="module"> and CDNs can load it', async () => {
    const code = await readFile(join(consumer, 'node_modules/idle-logout/dist/client/index.js'), 'utf8');
    expect(code).toContain('startIdleLogout');
    expect(code.match(/(?:\bfrom|\bimport)\s*\(?\s*["'`][^"'`./][^"'`]*["'`]/g) ?? []).toEqual([]);
  });

  it('a Vite app builds with idle-logout/client, and keeps the script-tag file it imports for its side effect', async () => {
    const output = await build({ root: join(consumer, 'web'), configFile: false, logLevel: 'silent', build: { write: false, minify: false } });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    const code = chunks.map((c) => (c.type === 'chunk' ? c.code : '')).join('\n');
    expect(code).toContain('on the client, not during server-side rendering'); // idle-logout/client
    expect(code).toContain('restoring kept work failed'); // only in the script-tag file
  });
});

describe('checkers', () => {
  it('publint finds nothing to fix', async ({ skip }) => {
    const dir = toolsOrSkip(skip);
    const out = await sh('node', [join(dir, 'node_modules/publint/src/cli.js'), 'run', tarball, '--strict'], work);
    expect(out).toContain('All good');
  });

  it('Are the Types Wrong passes with the ES-modules-only profile', async ({ skip }) => {
    const dir = toolsOrSkip(skip);
    // esm-only: require() of an ES module is Node's own since 20.19 / 22.12 (and the engines field
    // says so); a CommonJS copy beside the ESM one would give apps two of each class
    // (IdleSessionOptionsError, MemorySessionStore) that `instanceof` tells apart.
    await sh('node', [join(dir, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--profile', 'esm-only', '--format', 'ascii'], work);
  });

  it('the client and IdleLogout-global declarations work from TypeScript 4.9 (node16 resolution) on', async ({ skip }) => {
    const dir = toolsOrSkip(skip);
    // The client's floor. idle-logout/server's types import hono's, which need TypeScript 5 (hono 4's
    // own floor), so a server's floor is hono's.
    await sh('node', [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.ts49.json'], consumer);
  });
});
