// The protocol module against docs/protocol.md, the page other backends implement: a route, an
// error code, a status or a body field that exists on one side only fails here. And the parsers,
// which both halves rely on to tell the protocol from anything else.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BACKGROUND_HEADER,
  DEFAULT_BASE_PATH,
  LOGOUT_BODY,
  MAX_KEEPALIVE_BYTES,
  PROTOCOL_ERRORS,
  STATUS_PATH, KEEPALIVE_PATH, LOGOUT_PATH,
  SESSIONS_PATH, END_SESSION_PATH, END_OTHER_SESSIONS_PATH,
  parseEndSessionBody,
  type SessionSummary,
  encodeKeepaliveBody,
  errorBody,
  parseKeepaliveBody,
  parseStatusBody,
  statusBody,
  type ErrorCode,
} from './index.ts';

const page = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');

/** The text of the `## …` section whose heading contains `heading`. */
function section(heading: string): string {
  const start = page.split('\n').findIndex((line) => line.startsWith('## ') && line.includes(heading));
  expect(start, `docs/protocol.md has a section "${heading}"`).toBeGreaterThanOrEqual(0);
  const rest = page.split('\n').slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('## '));
  return rest.slice(0, end === -1 ? undefined : end).join('\n');
}

/** The keys of the first JSON object in a fenced ```json block, or inline `{ … }` code, of `text`. */
function firstJsonKeys(text: string, fenced: boolean): string[] {
  const match = fenced ? /```json\n([\s\S]*?)```/.exec(text) : /`(\{[^`]*\})`/.exec(text);
  expect(match, 'a JSON example').not.toBeNull();
  return Object.keys(JSON.parse(match![1]!) as object).sort();
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

describe('docs/protocol.md and protocol/index.ts say the same', () => {
  it('routes: the same three paths under the same default base', () => {
    const documented = [...page.matchAll(/^## `(GET|POST) \{base\}([^`]*)`/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(sorted(documented)).toEqual(sorted([`GET ${STATUS_PATH}`, `POST ${KEEPALIVE_PATH}`, `POST ${LOGOUT_PATH}`]));
    expect(page).toContain(`\`${DEFAULT_BASE_PATH}\` by default`);
  });

  it('errors: every code with the same status and body state, none on one side only', () => {
    const documented = new Map<string, { status: number; state: string | undefined }>();
    for (const row of section('Errors').split('\n').filter((line) => /^\| \d{3} \|/.test(line))) {
      const [, status, codes, when] = row.split('|').map((cell) => cell.trim());
      const state = /"state":"([a-z-]+)"/.exec(when!)?.[1];
      for (const code of codes!.matchAll(/`([a-z-]+)`/g)) documented.set(code[1]!, { status: Number(status), state });
    }
    const inCode = new Map(
      Object.entries(PROTOCOL_ERRORS).map(([code, spec]) => [code, { status: spec.status, state: 'state' in spec ? spec.state : undefined }]),
    );
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(inCode));
  });

  it('optional routes: the same three paths, documented as optional, with the same list fields', () => {
    const optional = section('Optional');
    const documented = [...optional.matchAll(/^### `(GET|POST) \{base\}([^`]*)`/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(sorted(documented)).toEqual(sorted([`GET ${SESSIONS_PATH}`, `POST ${END_SESSION_PATH}`, `POST ${END_OTHER_SESSIONS_PATH}`]));
    expect(optional).toContain('**optional**');
    const listed = /```json\n([\s\S]*?)```/.exec(optional)![1]!.replace(/…/g, '');
    const row: SessionSummary = { handle: '', current: true, createdAt: 0, lastActiveAt: 0, idleDeadlineAt: 0, absoluteDeadlineAt: 0, display: {} };
    expect(sorted(Object.keys((JSON.parse(listed) as { sessions: object[] }).sessions[0]!))).toEqual(sorted(Object.keys(row)));
    expect(parseEndSessionBody(/Body `(\{[^`]*\})`/.exec(optional)![1]!)).toEqual({ handle: 'Zt3kQ…' });
  });

  it('error bodies carry the documented fields', () => {
    expect(firstJsonKeys(section('`GET {base}`').split('- `401`')[1]!, false)).toEqual(sorted(Object.keys(errorBody('no-session'))));
  });

  it('status body: the same fields', () => {
    const body = statusBody({ remainingMs: 1, idleTimeoutMs: 2, warningMs: 3, absoluteRemainingMs: 4 });
    expect(firstJsonKeys(section('`GET {base}`'), true)).toEqual(sorted(Object.keys(body)));
  });

  it('keepalive body: the same fields, and the same size limit', () => {
    expect(firstJsonKeys(section('`POST {base}/keepalive`'), true)).toEqual(sorted(Object.keys(JSON.parse(encodeKeepaliveBody(0)) as object)));
    expect(section('Errors')).toContain(`a keepalive body over ${MAX_KEEPALIVE_BYTES} bytes`);
  });

  it('logout body: the same fields and value', () => {
    const documented = /`(\{[^`]*\})`/.exec(section('`POST {base}/logout`'))![1]!;
    expect(JSON.parse(documented)).toEqual(LOGOUT_BODY);
  });

  it('the background header has the documented name', () => {
    expect(section('Activity')).toContain(`\`${BACKGROUND_HEADER}: 1\``);
  });
});

describe('parseStatusBody', () => {
  it('reads a status body, and treats a missing absoluteRemainingMs as no absolute limit', () => {
    const live = { remainingMs: 287_512, idleTimeoutMs: 300_000, warningMs: 60_000, absoluteRemainingMs: 43_187_512 };
    expect(parseStatusBody(statusBody(live))).toEqual({ type: 'live', ...live });
    expect(parseStatusBody({ remainingMs: 5, idleTimeoutMs: 6, warningMs: 1 })?.absoluteRemainingMs).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([null, '<html>', [], { remainingMs: '5', idleTimeoutMs: 6, warningMs: 1 }, { state: 'active' }])('is not the protocol: %j', (json) => {
    expect(parseStatusBody(json)).toBeUndefined();
  });
});

describe('keepalive bodies', () => {
  it('encode a whole, non-negative idleMs', () => {
    expect([encodeKeepaliveBody(1250.7), encodeKeepaliveBody(-3)]).toEqual(['{"idleMs":1250}', '{"idleMs":0}']);
  });

  it.each([
    ['', { idleMs: 0 }],
    ['  ', { idleMs: 0 }],
    ['{}', { idleMs: 0 }],
    ['{"idleMs":1250.9,"other":true}', { idleMs: 1250 }],
    [encodeKeepaliveBody(42), { idleMs: 42 }],
  ])('parse %j', (text, expected) => {
    expect(parseKeepaliveBody(text)).toEqual(expected);
  });

  it.each<[string, ErrorCode]>([
    ['{', 'invalid-json'],
    ['[]', 'invalid-body'],
    ['null', 'invalid-body'],
    ['{"idleMs":-1}', 'invalid-body'],
    ['{"idleMs":"5"}', 'invalid-body'],
    ['{"idleMs":1e999}', 'invalid-body'],
  ])('refuse %j with %s', (text, code) => {
    expect(parseKeepaliveBody(text)).toMatchObject({ error: code, message: expect.any(String) });
  });
});

describe('end-session bodies', () => {
  it.each<[string, ErrorCode]>([
    ['{', 'invalid-json'],
    ['{}', 'invalid-body'],
    ['{"handle":""}', 'invalid-body'],
    ['{"handle":5}', 'invalid-body'],
    ['null', 'invalid-body'],
  ])('refuse %j with %s', (text, code) => {
    expect(parseEndSessionBody(text)).toMatchObject({ error: code, message: expect.any(String) });
  });
});

describe('errorBody', () => {
  it('gives the table’s state and message, or a more precise message', () => {
    expect(errorBody('store-full')).toEqual({ state: 'unavailable', error: 'store-full', message: PROTOCOL_ERRORS['store-full'].message });
    expect(errorBody('csrf', 'Origin https://evil.example is not allowed.')).toEqual({ error: 'csrf', message: 'Origin https://evil.example is not allowed.' });
  });
});
