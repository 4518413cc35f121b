// The server must run on Node, Bun, Deno and Workers: web standards only, no Node built-ins.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const runtimeFiles = readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('testing'));

/** Every file the main entry (index.ts) reaches through relative imports. */
function reachedFrom(entry: string): Set<string> {
  const reached = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.\/[^'"]+)['"]/g)) visit(specifier!.slice(2));
  };
  visit(entry);
  return reached;
}
const importedByMainEntry = reachedFrom('index.ts');

describe('server runtime code', () => {
  it('exists', () => {
    expect(runtimeFiles).toContain('idle-session.ts');
    expect(importedByMainEntry).toContain('idle-session.ts');
    expect(importedByMainEntry).not.toContain('redis-store.ts');
  });

  it.each(runtimeFiles)('%s imports no Node built-in and uses no Node global', (file) => {
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    const imports = [...source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    // The Redis store's files run only where node-redis runs (it needs node:net: Node, Bun, Deno),
    // so they may use node:events as node-redis does; the `idle-logout/server` entry imports none of them.
    const redisOnly = file.startsWith('redis-') && !importedByMainEntry.has(file);
    const allowed = (specifier: string) =>
      specifier.startsWith('.') || specifier === 'hono' || specifier.startsWith('hono/') || specifier === 'redis' || (redisOnly && specifier === 'node:events');
    expect(imports.filter((specifier) => !allowed(specifier))).toEqual([]);
    expect(source).not.toMatch(/\b(process|Buffer|require|__dirname)\b[.(]/);
  });
});
