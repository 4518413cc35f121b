// How the conformance checks (protocol/testing/conformance.ts) talk to a server and judge its answers:
// requests sent as a page of the origin would send them, the session cookie as a browser keeps
// it, and bounds on a session's deadline from the times requests were sent and answered.
import { DEFAULT_BASE_PATH } from '../index.ts';

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
  /** The longest timeout (idle or absolute) the checks will wait out. Default 20 000. */
  longestWaitMs?: number;
}

export const BASE = DEFAULT_BASE_PATH;
export const COOKIE = 'idle_session';
/** Milliseconds either side that rounding of the two clocks' readings may account for. */
export const SLOP_MS = 5;

export interface Probe {
  origin: string;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  longestWaitMs: number;
}

export function probeOf(target: ConformanceTarget): Probe {
  return {
    origin: target.origin.replace(/\/+$/, ''),
    fetch: target.fetch,
    now: target.now ?? Date.now,
    sleep: target.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    longestWaitMs: target.longestWaitMs ?? 20_000,
  };
}

/** A request's headers; `undefined` removes a default. */
export type HeaderValues = Record<string, string | undefined>;

export interface Send {
  cookie?: string;
  headers?: HeaderValues;
  body?: string | ReadableStream<Uint8Array>;
}

/** One answer, read whole, with when it was sent and received on the probe's clock. */
export interface Answer {
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

export class ConformanceError extends Error {
  override name = 'ConformanceError';
}

export function fail(answer: Answer | undefined, message: string): never {
  const context = answer ? `\n  ${answer.request} → ${answer.status} ${answer.text.slice(0, 300)}` : '';
  throw new ConformanceError(`${message}${context}`);
}

export function expectThat(condition: boolean, answer: Answer | undefined, message: string): void {
  if (!condition) fail(answer, message);
}

/**
 * Sends one request the way a page of this origin would: unsafe methods say `Sec-Fetch-Site:
 * same-origin`, a string body is `application/json`; `headers` add to or remove (undefined) those.
 * Every answer of a protocol path must be `no-store` JSON (docs/protocol.md, "Headers on every answer").
 */
export async function send(probe: Probe, method: string, path: string, init: Send = {}): Promise<Answer> {
  const headers = new Headers();
  const defaults: HeaderValues = {
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
export function expectError(answer: Answer, status: number, code: string): void {
  expectThat(answer.status === status && answer.json?.error === code, answer, `expected ${status} with error "${code}"`);
  expectThat(typeof answer.json?.message === 'string' && answer.json.message !== '', answer, 'an error body has a human "message"');
  if (status === 401) expectThat(answer.json?.state === 'signed-out', answer, 'a 401 body says "state": "signed-out"');
}

export interface SetCookie {
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
export function sessionSetCookie(answer: Answer, name: string): SetCookie {
  const ours = answer.setCookies.map(parseSetCookie).filter((cookie) => cookie.name === name);
  expectThat(ours.length > 0, answer, `expected a Set-Cookie of ${name}, got ${JSON.stringify(answer.setCookies)}`);
  return ours.at(-1)!;
}

/** HttpOnly; SameSite=Lax; Path=/; no Domain; Secure exactly on https (docs/protocol.md, "Session cookie"). */
export function expectCookieAttributes(answer: Answer, cookie: SetCookie, https: boolean): void {
  const { attributes } = cookie;
  expectThat(attributes.has('httponly'), answer, `${cookie.name} must be HttpOnly`);
  expectThat(attributes.get('samesite')?.toLowerCase() === 'lax', answer, `${cookie.name} must be SameSite=Lax`);
  expectThat(attributes.get('path') === '/', answer, `${cookie.name} must have Path=/`);
  expectThat(!attributes.has('domain'), answer, `${cookie.name} must be host-only (no Domain) by default`);
  expectThat(attributes.has('secure') === https, answer, `${cookie.name} must ${https ? '' : 'not '}be Secure on ${https ? 'https' : 'plain http'}`);
}

export function expectCleared(answer: Answer, name = COOKIE, https = false): void {
  const cookie = sessionSetCookie(answer, name);
  expectThat(cookie.value === '' && cookie.attributes.get('max-age') === '0', answer, `the clearing header must be ${name}=; Max-Age=0`);
  expectCookieAttributes(answer, cookie, https);
}

export function expectNoSetCookie(answer: Answer): void {
  expectThat(answer.setCookies.length === 0, answer, `expected no Set-Cookie, got ${JSON.stringify(answer.setCookies)}`);
}

export interface Session {
  /** `name=value`, for a Cookie header. */
  cookie: string;
  id: string;
  /** When the sign-in answer arrived: the server's sign-in time was no later. */
  signedInBy: number;
  /** The status read right after sign-in. */
  timeouts: Timeouts;
}

export interface Timeouts {
  idleTimeoutMs: number;
  warningMs: number;
  remainingMs: number;
  absoluteRemainingMs: number;
  answer: Answer;
}

let users = 0;

/** A name no other check signs in with, so that checks never share one user's session cap. */
export function freshUser(): string {
  users += 1;
  return `conformance-${users}-${Math.random().toString(36).slice(2, 10)}`;
}

export const HTTPS: HeaderValues = { 'X-Forwarded-Proto': 'https' };

/** Signs `username` in through the app's `POST /login` and reads the new session's status. */
export async function signIn(probe: Probe, options: { username?: string; cookie?: string; https?: boolean } = {}): Promise<Session> {
  const { https = false } = options;
  const answer = await send(probe, 'POST', '/login', {
    body: JSON.stringify({ username: options.username ?? freshUser() }),
    ...(options.cookie ? { cookie: options.cookie } : {}),
    headers: https ? HTTPS : {},
  });
  expectThat(answer.status >= 200 && answer.status < 400, answer, 'sign-in (POST /login) must succeed: is this a conformance server (protocol/testing/conformance.ts, top)?');
  const name = https ? `__Host-${COOKIE}` : COOKIE;
  const set = sessionSetCookie(answer, name);
  expectThat(set.value !== '' && !set.attributes.has('max-age'), answer, `sign-in must set ${name} to the new session id`);
  const cookie = `${name}=${set.value}`;
  return { cookie, id: set.value, signedInBy: answer.receivedAt, timeouts: liveBody(await send(probe, 'GET', BASE, { cookie, headers: https ? HTTPS : {} })) };
}

/** `GET {base}`, expected live. */
export async function statusOf(probe: Probe, session: Session): Promise<Timeouts> {
  return liveBody(await send(probe, 'GET', BASE, { cookie: session.cookie }));
}

/** The status body of a 200 (status or keepalive), checked field by field against the page. */
export function liveBody(answer: Answer): Timeouts {
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
export async function waitToTellApart(probe: Probe, session: Session): Promise<void> {
  await probe.sleep(Math.min(500, Math.floor(session.timeouts.idleTimeoutMs / 4)));
}

/**
 * Nothing has extended the session since sign-in: the time left is at most what was left then.
 * Had `activity` extended it, the time left would be at least its send time + idleTimeoutMs − the
 * status's arrival; the bound tells the two apart only when the wait before `activity` was longer
 * than the status's round trip, and says so when it was not.
 */
export function expectNotExtended(status: Timeouts, session: Session, activity: Answer, what: string): void {
  const roundTripMs = status.answer.receivedAt - status.answer.sentAt;
  const waitedMs = activity.sentAt - session.signedInBy;
  expectThat(waitedMs > roundTripMs + 2 * SLOP_MS, status.answer, `inconclusive: the status took ${roundTripMs} ms, longer than the ${waitedMs} ms waited before ${activity.request}`);
  const atMost = session.signedInBy + status.idleTimeoutMs - status.answer.sentAt + SLOP_MS;
  expectThat(status.remainingMs <= atMost, status.answer, `${what} must not extend the session (remainingMs ≤ ${atMost} expected)`);
}

/** `activity` moved the idle deadline to at least its send time + idleTimeoutMs − idleMs. */
export function expectExtended(status: Timeouts, activity: Answer, what: string, idleMs = 0): void {
  const atLeast = activity.sentAt + status.idleTimeoutMs - idleMs - status.answer.receivedAt - SLOP_MS;
  expectThat(status.remainingMs >= atLeast, status.answer, `${what} must extend the session (remainingMs ≥ ${atLeast} expected)`);
}

/** The answer sent first: had any of `answers` extended the session, its deadline is at least that one's. */
export function firstSent(answers: Answer[]): Answer {
  return answers.reduce((first, answer) => (answer.sentAt < first.sentAt ? answer : first));
}

export async function expectStillLiveNotExtended(probe: Probe, session: Session, activity: Answer, what: string): Promise<void> {
  expectNotExtended(await statusOf(probe, session), session, activity, what);
}

export function post(probe: Probe, path: string, cookie: string | undefined, init: Omit<Send, 'cookie'> = {}): Promise<Answer> {
  return send(probe, 'POST', BASE + path, { ...init, ...(cookie ? { cookie } : {}) });
}

/** A well-formed session id (256 bits, base64url) that no server issued. */
export function unknownId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A valid keepalive body (`idleMs: 0`, padded) of exactly `size` bytes. */
export function paddedKeepalive(size: number): string {
  const shell = '{"idleMs":0,"pad":""}';
  return `{"idleMs":0,"pad":"${'x'.repeat(size - shell.length)}"}`;
}

/** A body sent in chunks with no Content-Length (Transfer-Encoding: chunked). */
export function streamed(text: string): ReadableStream<Uint8Array> {
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
