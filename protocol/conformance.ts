// The wire protocol (docs/protocol.md) as black-box checks: HTTP in, HTTP out, nothing else. Each
// check talks to a running server through `fetch`, so one list runs against the in-process app
// (protocol/conformance.test.ts) and against the installed package served by Node, Bun, Deno and
// workerd (package/pack.test.ts). It imports no test library and nothing of the server; it throws
// an Error that says what was sent, what came back and what the page promises.
//
// The server under test is this implementation's, set up as a conformance server
// (package/consumer/runtime/conformance.ts is one):
// - `idle.routes` and `idle.sessionRoutes` at the default base path, default cookie name;
// - `POST /login` behind `idle.requireSameOrigin`, signing in the JSON body's `username`;
// - `GET /app`, an app route that reads its session (`await c.var.getSession()`);
// - `trustedProtoHeader: 'x-forwarded-proto'`, so that https is checked over plain http;
// - no `allowedOrigins`; a short idle timeout (at most `longestIdleTimeoutMs`, 10 s by default),
//   which the checks read from the status answer and wait out once.
import { BACKGROUND_HEADER, DEFAULT_BASE_PATH, END_OTHER_SESSIONS_PATH, END_SESSION_PATH, KEEPALIVE_PATH, LOGOUT_PATH, MAX_KEEPALIVE_BYTES, SESSIONS_PATH } from './index.ts';

/** How the checks reach the server, and whose clock they read. */
export interface ConformanceTarget {
  /** Where the server listens, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  /**
   * Sends a request exactly as given, e.g. `(url, init) => app.request(url, init)` in process, or
   * protocol/testing/http-client.ts over HTTP. Not Node's global fetch: it overwrites
   * `Sec-Fetch-Mode`, so no request through it can be a navigation.
   */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** The server's clock as the checks may read it (epoch ms). Default `Date.now`: same machine. */
  now?: () => number;
  /** Lets that clock run `ms`. Default: really waits. A server on an injected clock advances it. */
  sleep?: (ms: number) => Promise<void>;
  /** The longest idle timeout the checks will wait out. Default 10 000. */
  longestIdleTimeoutMs?: number;
}

export interface ConformanceCheck {
  name: string;
  run(target: ConformanceTarget): Promise<void>;
}

const BASE = DEFAULT_BASE_PATH;
const COOKIE = 'idle_session';
/** Milliseconds either side that rounding of the two clocks' readings may account for. */
const SLOP_MS = 5;

interface Probe {
  origin: string;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  longestIdleTimeoutMs: number;
}

function probeOf(target: ConformanceTarget): Probe {
  return {
    origin: target.origin.replace(/\/+$/, ''),
    fetch: target.fetch,
    now: target.now ?? Date.now,
    sleep: target.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    longestIdleTimeoutMs: target.longestIdleTimeoutMs ?? 10_000,
  };
}

// ---------------------------------------------------------------------------------------------
// Sending and reading

/** A request's headers; `undefined` removes a default. */
type HeaderInit = Record<string, string | undefined>;

interface Send {
  cookie?: string;
  headers?: HeaderInit;
  body?: string | ReadableStream<Uint8Array>;
}

/** One answer, read whole, with when it was sent and received on the probe's clock. */
interface Answer {
  request: string;
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined. */
  json: Record<string, unknown> | undefined;
  setCookies: string[];
  sentAt: number;
  receivedAt: number;
}

class ConformanceError extends Error {
  override name = 'ConformanceError';
}

function fail(answer: Answer | undefined, message: string): never {
  const context = answer ? `\n  ${answer.request} → ${answer.status} ${answer.text.slice(0, 300)}` : '';
  throw new ConformanceError(`${message}${context}`);
}

function expectThat(condition: boolean, answer: Answer | undefined, message: string): void {
  if (!condition) fail(answer, message);
}

/**
 * Sends one request the way a page of this origin would: unsafe methods say `Sec-Fetch-Site:
 * same-origin`, a string body is `application/json`; `headers` add to or remove (undefined) those.
 * Every answer of a protocol path must be `no-store` JSON (docs/protocol.md, "Headers on every answer").
 */
async function send(probe: Probe, method: string, path: string, init: Send = {}): Promise<Answer> {
  const headers = new Headers();
  const defaults: HeaderInit = {
    'Sec-Fetch-Site': method === 'GET' || method === 'HEAD' ? undefined : 'same-origin',
    'Content-Type': typeof init.body === 'string' ? 'application/json' : undefined,
    Cookie: init.cookie,
  };
  for (const [name, value] of Object.entries({ ...defaults, ...init.headers })) if (value !== undefined) headers.set(name, value);
  // A streamed body needs `duplex: 'half'` in Node's fetch (not yet in the DOM RequestInit type).
  const streamed = init.body instanceof ReadableStream ? { duplex: 'half' } : {};
  const request = `${method} ${path}${headers.has('Cookie') ? ' (with cookie)' : ''}`;
  const sentAt = probe.now();
  const response = await probe.fetch(probe.origin + path, { method, headers, body: init.body ?? null, redirect: 'manual', ...streamed } as RequestInit);
  const text = await response.text();
  const answer: Answer = { request, status: response.status, headers: response.headers, text, json: parseObject(text), setCookies: response.headers.getSetCookie(), sentAt, receivedAt: probe.now() };
  if (path.startsWith(BASE)) expectProtocolHeaders(answer, method);
  return answer;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function expectProtocolHeaders(answer: Answer, method: string): void {
  expectThat(/(^|,)\s*no-store\s*(,|$)/.test(answer.headers.get('cache-control') ?? ''), answer, `Cache-Control must be no-store on every answer of a protocol route, got ${answer.headers.get('cache-control')}`);
  expectThat(/^application\/json\b/.test(answer.headers.get('content-type') ?? ''), answer, `Content-Type must be application/json, got ${answer.headers.get('content-type')}`);
  if (method !== 'HEAD') expectThat(answer.json !== undefined, answer, 'the body must be a JSON object');
}

/** A `401 {"state":"signed-out","error": code}` (or another error status and code), with a message. */
function expectError(answer: Answer, status: number, code: string): void {
  expectThat(answer.status === status && answer.json?.error === code, answer, `expected ${status} with error "${code}"`);
  expectThat(typeof answer.json?.message === 'string' && answer.json.message !== '', answer, 'an error body has a human "message"');
  if (status === 401) expectThat(answer.json?.state === 'signed-out', answer, 'a 401 body says "state": "signed-out"');
}

// ---------------------------------------------------------------------------------------------
// The session cookie

interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case, with their values ('' for flags). */
  attributes: Map<string, string>;
}

function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const equals = pair.indexOf('=');
  return {
    name: pair.slice(0, equals),
    value: pair.slice(equals + 1),
    attributes: new Map(attributes.map((attribute) => {
      const at = attribute.indexOf('=');
      return at === -1 ? [attribute.toLowerCase(), ''] : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)];
    })),
  };
}

/**
 * The session cookie (named `name`) as a browser keeps it after this answer: the last Set-Cookie
 * of that name (a sign-in that carried a cookie clears it, then sets the new one).
 */
function sessionSetCookie(answer: Answer, name: string): SetCookie {
  const ours = answer.setCookies.map(parseSetCookie).filter((cookie) => cookie.name === name);
  expectThat(ours.length > 0, answer, `expected a Set-Cookie of ${name}, got ${JSON.stringify(answer.setCookies)}`);
  return ours.at(-1)!;
}

/** HttpOnly; SameSite=Lax; Path=/; no Domain; Secure exactly on https (docs/protocol.md, "Session cookie"). */
function expectCookieAttributes(answer: Answer, cookie: SetCookie, https: boolean): void {
  const { attributes } = cookie;
  expectThat(attributes.has('httponly'), answer, `${cookie.name} must be HttpOnly`);
  expectThat(attributes.get('samesite')?.toLowerCase() === 'lax', answer, `${cookie.name} must be SameSite=Lax`);
  expectThat(attributes.get('path') === '/', answer, `${cookie.name} must have Path=/`);
  expectThat(!attributes.has('domain'), answer, `${cookie.name} must be host-only (no Domain) by default`);
  expectThat(attributes.has('secure') === https, answer, `${cookie.name} must ${https ? '' : 'not '}be Secure on ${https ? 'https' : 'plain http'}`);
}

function expectCleared(answer: Answer, name = COOKIE, https = false): void {
  const cookie = sessionSetCookie(answer, name);
  expectThat(cookie.value === '' && cookie.attributes.get('max-age') === '0', answer, `the clearing header must be ${name}=; Max-Age=0`);
  expectCookieAttributes(answer, cookie, https);
}

function expectNoSetCookie(answer: Answer): void {
  expectThat(answer.setCookies.length === 0, answer, `expected no Set-Cookie, got ${JSON.stringify(answer.setCookies)}`);
}


// ---------------------------------------------------------------------------------------------
// Sessions and their deadlines

interface Session {
  /** `name=value`, for a Cookie header. */
  cookie: string;
  id: string;
  /** When the sign-in answer arrived: the server's sign-in time was no later. */
  signedInBy: number;
  /** The status read right after sign-in. */
  timeouts: Timeouts;
}

interface Timeouts {
  idleTimeoutMs: number;
  warningMs: number;
  remainingMs: number;
  absoluteRemainingMs: number;
  answer: Answer;
}

let users = 0;

/** A name no other check signs in with, so that checks never share one user's session cap. */
function freshUser(): string {
  users += 1;
  return `conformance-${users}-${Math.random().toString(36).slice(2, 10)}`;
}

const HTTPS: HeaderInit = { 'X-Forwarded-Proto': 'https' };

/** Signs `username` in through the app's `POST /login` and reads the new session's status. */
async function signIn(probe: Probe, options: { username?: string; cookie?: string; https?: boolean } = {}): Promise<Session> {
  const { https = false } = options;
  const answer = await send(probe, 'POST', '/login', {
    body: JSON.stringify({ username: options.username ?? freshUser() }),
    ...(options.cookie ? { cookie: options.cookie } : {}),
    headers: https ? HTTPS : {},
  });
  expectThat(answer.status >= 200 && answer.status < 400, answer, 'sign-in (POST /login) must succeed: is this a conformance server (protocol/conformance.ts, top)?');
  const name = https ? `__Host-${COOKIE}` : COOKIE;
  const set = sessionSetCookie(answer, name);
  expectThat(set.value !== '' && !set.attributes.has('max-age'), answer, `sign-in must set ${name} to the new session id`);
  const cookie = `${name}=${set.value}`;
  return { cookie, id: set.value, signedInBy: answer.receivedAt, timeouts: liveBody(await send(probe, 'GET', BASE, { cookie, headers: https ? HTTPS : {} })) };
}

/** `GET {base}`, expected live. */
async function statusOf(probe: Probe, session: Session): Promise<Timeouts> {
  return liveBody(await send(probe, 'GET', BASE, { cookie: session.cookie }));
}

/** The status body of a 200 (status or keepalive), checked field by field against the page. */
function liveBody(answer: Answer): Timeouts {
  const slow = answer.status === 401 ? ' (if the server answers slowly, this check may have outlived the idle timeout: give it a longer one)' : '';
  expectThat(answer.status === 200, answer, `expected 200: the session should be live${slow}`);
  const body = answer.json ?? {};
  expectThat(body.state === 'active', answer, 'a live status says "state": "active"');
  const integer = (name: string) => (Number.isInteger(body[name]) ? (body[name] as number) : NaN);
  const [remainingMs, idleTimeoutMs, warningMs, absoluteRemainingMs] = ['remainingMs', 'idleTimeoutMs', 'warningMs', 'absoluteRemainingMs'].map(integer) as [number, number, number, number];
  expectThat(idleTimeoutMs >= 1, answer, 'idleTimeoutMs must be an integer ≥ 1');
  expectThat(warningMs >= 0 && warningMs < idleTimeoutMs, answer, 'warningMs must be an integer ≥ 0, below idleTimeoutMs');
  expectThat(remainingMs >= 1 && remainingMs <= idleTimeoutMs, answer, 'remainingMs must be an integer in [1, idleTimeoutMs] on a 200');
  expectThat(absoluteRemainingMs >= remainingMs, answer, 'absoluteRemainingMs must be an integer ≥ remainingMs');
  expectNoSetCookie(answer);
  return { idleTimeoutMs, warningMs, remainingMs, absoluteRemainingMs, answer };
}

/** Waits a quarter of the idle timeout (at most 500 ms): long enough to tell an extension apart. */
async function waitToTellApart(probe: Probe, session: Session): Promise<void> {
  await probe.sleep(Math.min(500, Math.floor(session.timeouts.idleTimeoutMs / 4)));
}

/**
 * Nothing has extended the session since sign-in: the time left is at most what was left then.
 * Had `activity` extended it, the time left would be at least its send time + idleTimeoutMs − the
 * status's arrival; the bound tells the two apart only when the wait before `activity` was longer
 * than the status's round trip, and says so when it was not.
 */
function expectNotExtended(status: Timeouts, session: Session, activity: Answer, what: string): void {
  const roundTripMs = status.answer.receivedAt - status.answer.sentAt;
  const waitedMs = activity.sentAt - session.signedInBy;
  expectThat(waitedMs > roundTripMs + 2 * SLOP_MS, status.answer, `inconclusive: the status took ${roundTripMs} ms, longer than the ${waitedMs} ms waited before ${activity.request}`);
  const atMost = session.signedInBy + status.idleTimeoutMs - status.answer.sentAt + SLOP_MS;
  expectThat(status.remainingMs <= atMost, status.answer, `${what} must not extend the session (remainingMs ≤ ${atMost} expected)`);
}

/** `activity` moved the idle deadline to at least its send time + idleTimeoutMs − idleMs. */
function expectExtended(status: Timeouts, activity: Answer, what: string, idleMs = 0): void {
  const atLeast = activity.sentAt + status.idleTimeoutMs - idleMs - status.answer.receivedAt - SLOP_MS;
  expectThat(status.remainingMs >= atLeast, status.answer, `${what} must extend the session (remainingMs ≥ ${atLeast} expected)`);
}

/** The answer sent first: had any of `answers` extended the session, its deadline is at least that one's. */
function firstSent(answers: Answer[]): Answer {
  return answers.reduce((first, answer) => (answer.sentAt < first.sentAt ? answer : first));
}

async function expectStillLiveNotExtended(probe: Probe, session: Session, activity: Answer, what: string): Promise<void> {
  expectNotExtended(await statusOf(probe, session), session, activity, what);
}

function post(probe: Probe, path: string, cookie: string | undefined, init: Omit<Send, 'cookie'> = {}): Promise<Answer> {
  return send(probe, 'POST', BASE + path, { ...init, ...(cookie ? { cookie } : {}) });
}

/** A well-formed session id (256 bits, base64url) that no server issued. */
function unknownId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The first `size` bytes of a keepalive body that is valid JSON. */
function paddedKeepalive(size: number): string {
  const shell = '{"idleMs":0,"pad":""}';
  return `{"idleMs":0,"pad":"${'x'.repeat(size - shell.length)}"}`;
}

/** A body sent in chunks with no Content-Length (Transfer-Encoding: chunked). */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 256));
      at += 256;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The checks, in the page's order

function check(name: string, run: (probe: Probe) => Promise<void>): ConformanceCheck {
  return { name, run: (target) => run(probeOf(target)) };
}

const statusChecks = [
  check('GET {base} without a cookie: 401 no-session, no Set-Cookie; HEAD answers the same status with no body', async (probe) => {
    const answer = await send(probe, 'GET', BASE);
    expectError(answer, 401, 'no-session');
    expectNoSetCookie(answer);
    const head = await send(probe, 'HEAD', BASE);
    expectThat(head.status === 401 && head.text === '', head, 'HEAD {base} answers as GET does, without a body');
  }),

  check('GET {base} with a malformed cookie: 401 invalid-session, and the cookie is cleared', async (probe) => {
    const answer = await send(probe, 'GET', BASE, { cookie: `${COOKIE}=not-a-session-id` });
    expectError(answer, 401, 'invalid-session');
    expectCleared(answer);
  }),

  check('GET {base} with a well-formed id of no session: 401 unknown-session, and the cookie is cleared', async (probe) => {
    const answer = await send(probe, 'GET', BASE, { cookie: `${COOKIE}=${unknownId()}` });
    expectError(answer, 401, 'unknown-session');
    expectCleared(answer);
  }),

  check('GET {base} of a live session: 200 with state, remainingMs, idleTimeoutMs, warningMs, absoluteRemainingMs (integers); it never extends the session', async (probe) => {
    const session = await signIn(probe); // liveBody checked every field and type
    expectThat(session.timeouts.idleTimeoutMs <= probe.longestIdleTimeoutMs, session.timeouts.answer, `the idle timeout must be short for these checks (at most ${probe.longestIdleTimeoutMs} ms): set the conformance server's IDLE_TIMEOUT_MS`);
    await waitToTellApart(probe, session);
    // Marked as this origin's own request: an app route would count it as activity.
    const first = await send(probe, 'GET', BASE, { cookie: session.cookie, headers: { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors' } });
    liveBody(first);
    await expectStillLiveNotExtended(probe, session, first, 'GET {base}');
  }),
];

const keepaliveChecks = [
  check('POST {base}/keepalive {"idleMs":0}: 200 with the status body, the deadline moved to now + idleTimeoutMs, no Set-Cookie', async (probe) => {
    const session = await signIn(probe);
    await waitToTellApart(probe, session);
    const answer = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}' });
    expectExtended(liveBody(answer), answer, 'a keepalive (its own answer)');
    expectExtended(await statusOf(probe, session), answer, 'a keepalive');
  }),

  check('POST {base}/keepalive: an empty body, or none, means idleMs 0; other fields are ignored', async (probe) => {
    const bodies = ['', undefined, '{"idleMs":0,"other":"ignored"}', '{"other":1}'];
    const sessions = await Promise.all(bodies.map(() => signIn(probe)));
    await waitToTellApart(probe, sessions.at(-1)!);
    for (const [index, body] of bodies.entries()) {
      const answer = await post(probe, KEEPALIVE_PATH, sessions[index]!.cookie, body === undefined ? {} : { body });
      expectExtended(liveBody(answer), answer, `a keepalive with body ${JSON.stringify(body ?? null)}`);
    }
  }),

  check('POST {base}/keepalive {"idleMs": k}: the deadline moves to now − k + idleTimeoutMs (fractions accepted), never earlier than it was', async (probe) => {
    const session = await signIn(probe);
    await waitToTellApart(probe, session);
    const idleMs = Math.floor((probe.now() - session.signedInBy) / 2);
    const answer = await post(probe, KEEPALIVE_PATH, session.cookie, { body: `{"idleMs":${idleMs}.75}` });
    const moved = liveBody(answer);
    expectExtended(moved, answer, `a keepalive with idleMs ${idleMs}.75`, idleMs + 1);
    const atMost = moved.idleTimeoutMs - idleMs + SLOP_MS;
    expectThat(moved.remainingMs <= atMost, answer, `the deadline moves to now − idleMs + idleTimeoutMs, no later (remainingMs ≤ ${atMost} expected)`);
    // An idleMs longer than the session has lived proposes a deadline before the current one.
    const later = await signIn(probe);
    await waitToTellApart(probe, later);
    const stale = await post(probe, KEEPALIVE_PATH, later.cookie, { body: JSON.stringify({ idleMs: 10 * later.timeouts.idleTimeoutMs }) });
    expectNotExtended(liveBody(stale), later, stale, 'a keepalive whose idleMs is older than the session');
  }),

  check('POST {base}/keepalive with a body that is not the protocol: 400 invalid-json or invalid-body, and the session is neither extended nor ended', async (probe) => {
    const session = await signIn(probe);
    await waitToTellApart(probe, session);
    const cases: [string, 'invalid-json' | 'invalid-body'][] = [
      ['not json', 'invalid-json'], ['{"idleMs":', 'invalid-json'], ['[]', 'invalid-body'], ['null', 'invalid-body'], ['"idleMs"', 'invalid-body'],
      ['{"idleMs":-1}', 'invalid-body'], ['{"idleMs":"5"}', 'invalid-body'], ['{"idleMs":null}', 'invalid-body'], ['{"idleMs":true}', 'invalid-body'], ['{"idleMs":1e999}', 'invalid-body'],
    ];
    const answers = await Promise.all(cases.map(async ([body, code]) => {
      const answer = await post(probe, KEEPALIVE_PATH, session.cookie, { body });
      expectError(answer, 400, code);
      return answer;
    }));
    await expectStillLiveNotExtended(probe, session, firstSent(answers), 'a refused keepalive');
  }),

  check('POST {base}/keepalive reads its body as JSON whatever the Content-Type says', async (probe) => {
    const session = await signIn(probe);
    for (const type of ['text/plain;charset=UTF-8', undefined, 'application/x-www-form-urlencoded']) {
      liveBody(await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}', headers: { 'Content-Type': type } }));
    }
    expectError(await post(probe, KEEPALIVE_PATH, session.cookie, { body: 'idleMs=0', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 400, 'invalid-json');
  }),

  check(`POST {base}/keepalive with a body over ${MAX_KEEPALIVE_BYTES} bytes: 413 body-too-large, with or without Content-Length; exactly ${MAX_KEEPALIVE_BYTES} is read`, async (probe) => {
    const session = await signIn(probe);
    await waitToTellApart(probe, session);
    expectError(await post(probe, KEEPALIVE_PATH, session.cookie, { body: paddedKeepalive(MAX_KEEPALIVE_BYTES + 1) }), 413, 'body-too-large');
    const chunked = await post(probe, KEEPALIVE_PATH, session.cookie, { body: streamed(paddedKeepalive(4 * MAX_KEEPALIVE_BYTES)), headers: { 'Content-Type': 'application/json' } });
    expectError(chunked, 413, 'body-too-large');
    await expectStillLiveNotExtended(probe, session, chunked, 'a keepalive refused as too large');
    const largest = await post(probe, KEEPALIVE_PATH, session.cookie, { body: paddedKeepalive(MAX_KEEPALIVE_BYTES) });
    expectExtended(liveBody(largest), largest, `a keepalive of exactly ${MAX_KEEPALIVE_BYTES} bytes`);
    const largestChunked = await post(probe, KEEPALIVE_PATH, session.cookie, { body: streamed(paddedKeepalive(MAX_KEEPALIVE_BYTES)), headers: { 'Content-Type': 'application/json' } });
    liveBody(largestChunked);
  }),

  check('POST {base}/keepalive never revives: without a cookie 401 no-session; after logout 401 unknown-session, and the cookie is cleared', async (probe) => {
    expectError(await post(probe, KEEPALIVE_PATH, undefined, { body: '{"idleMs":0}' }), 401, 'no-session');
    const session = await signIn(probe);
    expectThat((await post(probe, LOGOUT_PATH, session.cookie)).status === 200, undefined, 'logout must answer 200');
    const late = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}' });
    expectError(late, 401, 'unknown-session');
    expectCleared(late);
    expectError(await send(probe, 'GET', BASE, { cookie: session.cookie }), 401, 'unknown-session');
  }),
];

const logoutChecks = [
  check('POST {base}/logout: 200 {"state":"signed-out"}, the cookie cleared, the session gone; again, with any body or with no session: the same 200', async (probe) => {
    const session = await signIn(probe);
    const answer = await post(probe, LOGOUT_PATH, session.cookie);
    expectThat(answer.status === 200 && answer.text !== '' && JSON.stringify(answer.json) === '{"state":"signed-out"}', answer, 'logout answers 200 {"state":"signed-out"}');
    expectCleared(answer);
    expectError(await send(probe, 'GET', BASE, { cookie: session.cookie }), 401, 'unknown-session');
    for (const again of [await post(probe, LOGOUT_PATH, session.cookie, { body: 'not json at all' }), await post(probe, LOGOUT_PATH, undefined)]) {
      expectThat(again.status === 200 && JSON.stringify(again.json) === '{"state":"signed-out"}', again, 'logout is idempotent: the same 200');
    }
  }),

  check('sign-in issues a new session id (256 bits, base64url) and ends the session the request carried', async (probe) => {
    const first = await signIn(probe);
    const second = await signIn(probe, { cookie: first.cookie });
    for (const { id, timeouts } of [first, second]) expectThat(/^[A-Za-z0-9_-]{43}$/.test(id), timeouts.answer, `the id must be 43 base64url characters, got ${id}`);
    expectThat(second.id !== first.id, second.timeouts.answer, 'every sign-in issues a new id');
    const old = await send(probe, 'GET', BASE, { cookie: first.cookie });
    expectThat(old.status === 401 && old.json?.state === 'signed-out', old, 'the id the sign-in request carried is ended');
  }),
];

const cookieChecks = [
  check('the session cookie on plain http: idle_session, HttpOnly, SameSite=Lax, Path=/, no Secure, Domain, Max-Age or Expires; its answer is no-store', async (probe) => {
    const answer = await send(probe, 'POST', '/login', { body: JSON.stringify({ username: freshUser() }) });
    const cookie = sessionSetCookie(answer, COOKIE);
    expectCookieAttributes(answer, cookie, false);
    expectThat(!cookie.attributes.has('max-age') && !cookie.attributes.has('expires'), answer, 'the cookie lasts the browser session: no Max-Age or Expires');
    expectThat(/no-store/.test(answer.headers.get('cache-control') ?? ''), answer, 'an answer that sets the session cookie is no-store');
  }),

  check('the session cookie on https (X-Forwarded-Proto: https): __Host-idle_session, Secure; the only name read there; cleared with the same attributes', async (probe) => {
    const session = await signIn(probe, { https: true });
    const answer = (await send(probe, 'POST', '/login', { body: JSON.stringify({ username: freshUser() }), headers: HTTPS }));
    const cookie = sessionSetCookie(answer, `__Host-${COOKIE}`);
    expectCookieAttributes(answer, cookie, true);
    expectThat(!cookie.attributes.has('max-age') && !cookie.attributes.has('expires'), answer, 'the cookie lasts the browser session: no Max-Age or Expires');
    expectError(await send(probe, 'GET', BASE, { cookie: `${COOKIE}=${session.id}`, headers: HTTPS }), 401, 'no-session');
    expectError(await send(probe, 'GET', BASE, { cookie: session.cookie }), 401, 'no-session'); // the __Host- cookie is not read on http
    const out = await post(probe, LOGOUT_PATH, session.cookie, { headers: HTTPS });
    expectThat(out.status === 200, out, 'logout over https answers 200');
    expectCleared(out, `__Host-${COOKIE}`, true);
  }),

  check('several session cookies (cookie tossing): the one live one is used; two live ones are 401 ambiguous-session; none is cleared; logout ends every one named', async (probe) => {
    const [mine, planted] = [await signIn(probe), await signIn(probe)];
    const ambiguous = await send(probe, 'GET', BASE, { cookie: `${planted.cookie}; ${mine.cookie}` });
    expectError(ambiguous, 401, 'ambiguous-session');
    expectNoSetCookie(ambiguous);
    for (const decoy of [`${COOKIE}=not-an-id`, `${COOKIE}=${unknownId()}`]) {
      liveBody(await send(probe, 'GET', BASE, { cookie: `${decoy}; ${mine.cookie}` })); // liveBody: no Set-Cookie
    }
    const dead = await send(probe, 'GET', BASE, { cookie: `${COOKIE}=${unknownId()}; ${COOKIE}=not-an-id` });
    expectThat(dead.status === 401 && dead.json?.state === 'signed-out', dead, 'no live cookie: 401');
    expectNoSetCookie(dead);
    expectThat((await post(probe, LOGOUT_PATH, undefined, { headers: { Cookie: `${planted.cookie}; ${mine.cookie}` } })).status === 200, undefined, 'logout with two cookies answers 200');
    for (const ended of [mine, planted]) expectError(await send(probe, 'GET', BASE, { cookie: ended.cookie }), 401, 'unknown-session');
  }),
];

/** Requests that are not this origin's own: refused on the POST routes, never activity. */
const FOREIGN: [string, HeaderInit][] = [
  ['Sec-Fetch-Site: cross-site (with this origin as Origin)', { 'Sec-Fetch-Site': 'cross-site', Origin: '' }],
  ['Sec-Fetch-Site: none', { 'Sec-Fetch-Site': 'none' }],
  ['Sec-Fetch-Site: same-site from a sibling not in allowedOrigins', { 'Sec-Fetch-Site': 'same-site', Origin: 'http://sibling.example' }],
  ['no Sec-Fetch-Site, a foreign Origin', { 'Sec-Fetch-Site': undefined, Origin: 'https://evil.example' }],
  ['neither Sec-Fetch-Site nor Origin', { 'Sec-Fetch-Site': undefined }],
];

/** `headers` with an empty Origin replaced by the probe's own origin. */
function fromHere(probe: Probe, headers: HeaderInit): HeaderInit {
  return headers.Origin === '' ? { ...headers, Origin: probe.origin } : headers;
}

const csrfChecks = [
  check('keepalive and logout refuse other sites\' requests with 403 csrf, before reading the body, and change nothing; no Sec-Fetch-Site with this Origin passes', async (probe) => {
    const session = await signIn(probe);
    await waitToTellApart(probe, session);
    const keepalives = await Promise.all(FOREIGN.flatMap(([what, headers]) => ['{"idleMs":0}', 'not json', paddedKeepalive(2 * MAX_KEEPALIVE_BYTES)].map(async (body) => {
      const answer = await post(probe, KEEPALIVE_PATH, session.cookie, { body, headers: fromHere(probe, headers) });
      expectThat(answer.status === 403 && answer.json?.error === 'csrf', answer, `a keepalive with ${what} must be refused 403 csrf whatever its body`);
      return answer;
    })));
    await Promise.all(FOREIGN.map(async ([, headers]) => {
      const out = await post(probe, LOGOUT_PATH, session.cookie, { headers: fromHere(probe, headers) });
      expectError(out, 403, 'csrf');
      expectNoSetCookie(out);
    }));
    await expectStillLiveNotExtended(probe, session, firstSent(keepalives), 'a refused keepalive');
    const plain = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}', headers: { 'Sec-Fetch-Site': undefined, Origin: probe.origin } });
    expectExtended(liveBody(plain), plain, 'a keepalive with no Sec-Fetch-Site and this Origin');
  }),

  check('an unsafe request from another site that carries the session cookie is refused 403 csrf on any route, and so is a sign-in', async (probe) => {
    const session = await signIn(probe);
    const forged = await send(probe, 'POST', '/app', { cookie: session.cookie, headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expectError(forged, 403, 'csrf');
    const signIn_ = await send(probe, 'POST', '/login', { body: JSON.stringify({ username: freshUser() }), headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expectError(signIn_, 403, 'csrf');
    expectNoSetCookie(signIn_);
    liveBody(await send(probe, 'GET', BASE, { cookie: session.cookie }));
  }),
];

const methodChecks = [
  check('other methods on the protocol paths: 405 method-not-allowed with Allow; the session is neither read, extended nor ended', async (probe) => {
    const session = await signIn(probe);
    await waitToTellApart(probe, session);
    const cases: [string, string, string][] = [
      ['PUT', BASE, 'GET, HEAD'], ['DELETE', BASE, 'GET, HEAD'], ['POST', BASE, 'GET, HEAD'],
      ['GET', BASE + KEEPALIVE_PATH, 'POST'], ['PUT', BASE + KEEPALIVE_PATH, 'POST'],
      ['GET', BASE + LOGOUT_PATH, 'POST'], ['DELETE', BASE + LOGOUT_PATH, 'POST'], ['PATCH', BASE + LOGOUT_PATH, 'POST'],
    ];
    const answers = await Promise.all(cases.map(async ([method, path, allow]) => {
      const answer = await send(probe, method, path, { cookie: session.cookie });
      expectError(answer, 405, 'method-not-allowed');
      expectThat(answer.headers.get('allow') === allow, answer, `405 on ${path} must say Allow: ${allow}, got ${answer.headers.get('allow')}`);
      expectNoSetCookie(answer);
      return answer;
    }));
    await expectStillLiveNotExtended(probe, session, firstSent(answers), 'a method that is not allowed');
  }),
];

/** docs/protocol.md, "Activity": which requests to an app route extend the session. */
const ACTIVITY: [string, HeaderInit, boolean][] = [
  ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors' }, true],
  ['Sec-Fetch-Site: none on a navigation (typed URL, bookmark)', { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate' }, true],
  ['Sec-Fetch-Site: none on anything else (an extension)', { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'cors' }, false],
  ['Sec-Fetch-Site: same-site from a sibling not in allowedOrigins', { 'Sec-Fetch-Site': 'same-site', Origin: 'http://sibling.example' }, false],
  ['Sec-Fetch-Site: cross-site (a navigation from another site)', { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate' }, false],
  ['no Fetch Metadata, this Origin', { Origin: '' }, true],
  ['no Fetch Metadata, a Referer from this origin', { Referer: '/page' }, true],
  ['no Fetch Metadata, a foreign Origin', { Origin: 'https://evil.example' }, false],
  ['no Fetch Metadata, neither Origin nor Referer', {}, false],
  [`${BACKGROUND_HEADER}: 1 on a same-origin request (polling)`, { 'Sec-Fetch-Site': 'same-origin', [BACKGROUND_HEADER]: '1' }, false],
];

const activityChecks = [
  check(`which requests to the app extend the session: this site's own, not other sites', not ${BACKGROUND_HEADER}: 1`, async (probe) => {
    const sessions = await Promise.all(ACTIVITY.map(() => signIn(probe)));
    await waitToTellApart(probe, sessions.at(-1)!);
    // All at once, so that every session is read well before its deadline.
    await Promise.all(ACTIVITY.map(async ([what, headers, counts], index) => {
      const session = sessions[index]!;
      const referer = headers.Referer === undefined ? {} : { Referer: probe.origin + headers.Referer };
      const request = await send(probe, 'GET', '/app', { cookie: session.cookie, headers: { ...fromHere(probe, headers), ...referer } });
      expectThat(request.status < 500, request, `GET /app with ${what} must be served`);
      const status = await statusOf(probe, session);
      if (counts) expectExtended(status, request, `GET /app with ${what}`);
      else expectNotExtended(status, session, request, `GET /app with ${what}`);
    }));
  }),
];

const expiryChecks = [
  check('a session left idle ends at its deadline: then keepalive and status answer 401 unknown-session and clear the cookie; nothing revives it', async (probe) => {
    const session = await signIn(probe);
    const { idleTimeoutMs } = session.timeouts;
    expectThat(idleTimeoutMs <= probe.longestIdleTimeoutMs, session.timeouts.answer, `the idle timeout must be short for this check (at most ${probe.longestIdleTimeoutMs} ms): set the conformance server's IDLE_TIMEOUT_MS`);
    // The deadline is at most sign-in + idleTimeoutMs; wait until just past that.
    await probe.sleep(Math.max(0, session.signedInBy + idleTimeoutMs + SLOP_MS - probe.now()));
    const late = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}' });
    expectError(late, 401, 'unknown-session');
    expectCleared(late);
    // Neither a keepalive (above) nor the user's own request to a page brings it back.
    await send(probe, 'GET', '/app', { cookie: session.cookie, headers: { 'Sec-Fetch-Site': 'same-origin' } });
    expectError(await send(probe, 'GET', BASE, { cookie: session.cookie }), 401, 'unknown-session');
  }),
];

// The optional per-user routes (docs/protocol.md, "Optional: the user's sessions").

interface Listed {
  handle: string;
  current: boolean;
  createdAt: number;
}

async function listOf(probe: Probe, session: Session): Promise<Listed[]> {
  const answer = await send(probe, 'GET', BASE + SESSIONS_PATH, { cookie: session.cookie });
  expectThat(answer.status === 200 && Array.isArray(answer.json?.sessions), answer, 'GET {base}/sessions answers 200 {"sessions": [...]}');
  const sessions = answer.json!.sessions as Record<string, unknown>[];
  for (const entry of sessions) {
    const times = ['createdAt', 'lastActiveAt', 'idleDeadlineAt', 'absoluteDeadlineAt'].map((name) => entry[name]);
    expectThat(typeof entry.handle === 'string' && entry.handle !== '' && typeof entry.current === 'boolean', answer, 'each session has a string handle and a boolean current');
    expectThat(times.every(Number.isInteger), answer, 'createdAt, lastActiveAt, idleDeadlineAt, absoluteDeadlineAt are epoch ms integers');
    const [createdAt, lastActiveAt, idleDeadlineAt, absoluteDeadlineAt] = times as number[];
    expectThat(createdAt! <= lastActiveAt! && lastActiveAt! < idleDeadlineAt! && idleDeadlineAt! <= absoluteDeadlineAt!, answer, 'createdAt ≤ lastActiveAt < idleDeadlineAt ≤ absoluteDeadlineAt');
    expectThat(typeof entry.display === 'object' && entry.display !== null && !Array.isArray(entry.display), answer, 'display is an object ({} if none)');
    expectThat(!JSON.stringify(entry).includes(session.id), answer, 'no listed field may be the session id');
  }
  expectThat(sessions.filter((entry) => entry.current).length === 1, answer, 'exactly one listed session is current');
  expectThat(sessions.every((entry, index) => index === 0 || (sessions[index - 1]!.createdAt as number) <= (entry.createdAt as number)), answer, 'oldest first');
  return sessions as unknown as Listed[];
}

function endSession(probe: Probe, session: Session, body: string): Promise<Answer> {
  return post(probe, END_SESSION_PATH, session.cookie, { body });
}

function expectEnded(answer: Answer, ended: number): void {
  expectThat(answer.status === 200 && JSON.stringify(answer.json) === `{"ended":${ended}}`, answer, `expected 200 {"ended":${ended}}`);
}

/** Ended from elsewhere: 401 session-revoked, every time (the cookie stays so every tab hears why). */
async function expectRevoked(probe: Probe, session: Session): Promise<void> {
  for (let times = 0; times < 2; times++) {
    const answer = await send(probe, 'GET', BASE, { cookie: session.cookie });
    expectError(answer, 401, 'session-revoked');
    expectNoSetCookie(answer);
  }
}

const sessionRouteChecks = [
  check('GET {base}/sessions: the user\'s live sessions, oldest first, one current, with handle, times and display; it never extends', async (probe) => {
    const username = freshUser();
    const older = await signIn(probe, { username });
    const newer = await signIn(probe, { username });
    await signIn(probe); // another user's: not listed
    await waitToTellApart(probe, older);
    const listed = await listOf(probe, newer);
    expectThat(listed.length === 2 && listed[1]!.current && !listed[0]!.current, undefined, `the list from the newer session shows both, the newer current: ${JSON.stringify(listed)}`);
    const again = await send(probe, 'GET', BASE + SESSIONS_PATH, { cookie: older.cookie, headers: { 'Sec-Fetch-Site': 'same-origin' } });
    await expectStillLiveNotExtended(probe, older, again, 'GET {base}/sessions');
  }),

  check('POST {base}/sessions/end: {"ended":1} for one of mine (it then hears session-revoked), {"ended":0} for another\'s; bad bodies 400/413; ending my own signs me out', async (probe) => {
    const username = freshUser();
    const [phone, laptop, stranger] = [await signIn(probe, { username }), await signIn(probe, { username }), await signIn(probe)];
    const strangers = (await listOf(probe, stranger))[0]!.handle;
    const [phoneHandle, laptopHandle] = (await listOf(probe, laptop)).map((entry) => entry.handle);
    expectEnded(await endSession(probe, laptop, JSON.stringify({ handle: strangers })), 0);
    liveBody(await send(probe, 'GET', BASE, { cookie: stranger.cookie }));
    expectEnded(await endSession(probe, laptop, JSON.stringify({ handle: phoneHandle })), 1);
    await expectRevoked(probe, phone);
    expectEnded(await endSession(probe, laptop, JSON.stringify({ handle: phoneHandle })), 0);
    expectError(await endSession(probe, laptop, 'not json'), 400, 'invalid-json');
    for (const body of ['{}', '{"handle":""}', '{"handle":7}', '[]']) expectError(await endSession(probe, laptop, body), 400, 'invalid-body');
    expectError(await endSession(probe, laptop, JSON.stringify({ handle: 'x'.repeat(2 * MAX_KEEPALIVE_BYTES) })), 413, 'body-too-large');
    const own = await endSession(probe, laptop, JSON.stringify({ handle: laptopHandle }));
    expectEnded(own, 1);
    expectCleared(own);
  }),

  check('POST {base}/sessions/end-others: {"ended": n}; the others hear session-revoked, the caller stays', async (probe) => {
    const username = freshUser();
    const [first, second, caller] = [await signIn(probe, { username }), await signIn(probe, { username }), await signIn(probe, { username })];
    expectEnded(await post(probe, END_OTHER_SESSIONS_PATH, caller.cookie), 2);
    for (const other of [first, second]) await expectRevoked(probe, other);
    liveBody(await send(probe, 'GET', BASE, { cookie: caller.cookie }));
    expectEnded(await post(probe, END_OTHER_SESSIONS_PATH, caller.cookie), 0);
  }),

  check('the per-user routes: 401 without a session, 403 csrf from other sites, 405 with Allow for other methods', async (probe) => {
    expectError(await send(probe, 'GET', BASE + SESSIONS_PATH), 401, 'no-session');
    expectError(await post(probe, END_OTHER_SESSIONS_PATH, undefined), 401, 'no-session');
    const username = freshUser();
    const [other, session] = [await signIn(probe, { username }), await signIn(probe, { username })];
    for (const path of [END_OTHER_SESSIONS_PATH, END_SESSION_PATH]) {
      expectError(await post(probe, path, session.cookie, { body: '{"handle":"x"}', headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'csrf');
    }
    liveBody(await send(probe, 'GET', BASE, { cookie: other.cookie }));
    for (const [method, path, allow] of [['PUT', SESSIONS_PATH, 'GET, HEAD'], ['GET', END_SESSION_PATH, 'POST'], ['DELETE', END_OTHER_SESSIONS_PATH, 'POST']] as const) {
      const answer = await send(probe, method, BASE + path, { cookie: session.cookie });
      expectError(answer, 405, 'method-not-allowed');
      expectThat(answer.headers.get('allow') === allow, answer, `405 on ${path} must say Allow: ${allow}`);
    }
  }),

  check('more sessions than one account may hold: the oldest hears 401 session-replaced', async (probe) => {
    const username = freshUser();
    const oldest = await signIn(probe, { username });
    // Five at a time (every one newer than the oldest), so the oldest is read well within its timeout.
    for (let signIns = 0; signIns < 50; signIns += 5) {
      await Promise.all([1, 2, 3, 4, 5].map(() => signIn(probe, { username }).catch(() => undefined))); // a replaced one may fail its own status read
      const answer = await send(probe, 'GET', BASE, { cookie: oldest.cookie });
      if (answer.status === 200) continue;
      expectError(answer, 401, 'session-replaced');
      return expectNoSetCookie(answer);
    }
    fail(undefined, 'after 50 more sign-ins of one account its oldest session was still live: is there no per-account cap?');
  }),
];

/** Every check, in the order of docs/protocol.md. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [
  ...statusChecks,
  ...keepaliveChecks,
  ...logoutChecks,
  ...cookieChecks,
  ...csrfChecks,
  ...methodChecks,
  ...activityChecks,
  ...expiryChecks,
  ...sessionRouteChecks,
];

/** What one check found: nothing (passed) or why it failed. */
export interface ConformanceResult {
  name: string;
  failure?: string;
}

/**
 * Runs the checks (default: every one) against a server on the real clock, all at once (each signs in users of its
 * own), and says which failed and why; the whole run takes about one idle timeout.
 *
 * @example
 * const failed = (await runConformance({ origin: 'http://127.0.0.1:8787', fetch: fetchOverHttp })).filter((r) => r.failure);
 */
export async function runConformance(target: ConformanceTarget, checks: readonly ConformanceCheck[] = CONFORMANCE_CHECKS): Promise<ConformanceResult[]> {
  return Promise.all(checks.map(async ({ name, run }) => {
    try {
      await run(target);
      return { name };
    } catch (error) {
      return { name, failure: error instanceof Error ? `${error.message}${error instanceof ConformanceError ? '' : `\n${error.stack}`}` : String(error) };
    }
  }));
}
