// The server must run on Node, Bun, Deno and Workers: web standards only, no Node built-ins.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const runtimeFiles = readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('testing'));

describe('server runtime code', () => {
  it('exists', () => {
    expect(runtimeFiles).toContain('idle-session.ts');
  });

  it.each(runtimeFiles)('%s imports no Node built-in and uses no Node global', (file) => {
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    const imports = [...source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    const allowed = (specifier: string) => specifier.startsWith('.') || specifier === 'hono' || specifier.startsWith('hono/') || specifier === 'redis';
    expect(imports.filter((specifier) => !allowed(specifier))).toEqual([]);
    expect(source).not.toMatch(/\b(process|Buffer|require|__dirname)\b[.(]/);
  });
});
