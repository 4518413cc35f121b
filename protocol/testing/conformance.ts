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
// - no `allowedOrigins`; short idle and absolute timeouts (at most `longestWaitMs`, 20 s by
//   default), which the checks read from the status answer and wait out.
import { BACKGROUND_HEADER, END_OTHER_SESSIONS_PATH, END_SESSION_PATH, KEEPALIVE_PATH, LOGOUT_PATH, MAX_KEEPALIVE_BYTES, SESSIONS_PATH } from '../index.ts';
import {
  BASE,
  COOKIE,
  SLOP_MS,
  type Probe,
  probeOf,
  type HeaderValues,
  type Answer,
  ConformanceError,
  fail,
  expectThat,
  send,
  expectError,
  sessionSetCookie,
  expectCookieAttributes,
  expectCleared,
  expectNoSetCookie,
  type Session,
  freshUser,
  HTTPS,
  signIn,
  statusOf,
  liveBody,
  waitToTellApart,
  expectNotExtended,
  expectExtended,
  firstSent,
  expectStillLiveNotExtended,
  post,
  unknownId,
  paddedKeepalive,
  streamed,
  type ConformanceTarget,
} from './conformance-probe.ts';

export type { ConformanceTarget };

export interface ConformanceCheck {
  name: string;
  run(target: ConformanceTarget): Promise<void>;
}

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
const FOREIGN: [string, HeaderValues][] = [
  ['Sec-Fetch-Site: cross-site (with this origin as Origin)', { 'Sec-Fetch-Site': 'cross-site', Origin: '' }],
  ['Sec-Fetch-Site: none', { 'Sec-Fetch-Site': 'none' }],
  ['Sec-Fetch-Site: same-site from a sibling not in allowedOrigins', { 'Sec-Fetch-Site': 'same-site', Origin: 'http://sibling.example' }],
  ['no Sec-Fetch-Site, a foreign Origin', { 'Sec-Fetch-Site': undefined, Origin: 'https://evil.example' }],
  ['neither Sec-Fetch-Site nor Origin', { 'Sec-Fetch-Site': undefined }],
];

/** `headers` with an empty Origin replaced by the probe's own origin. */
function fromHere(probe: Probe, headers: HeaderValues): HeaderValues {
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
const ACTIVITY: [string, HeaderValues, boolean][] = [
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
    expectShortEnough(probe, session, idleTimeoutMs, 'idle timeout (IDLE_TIMEOUT_MS)');
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

function expectShortEnough(probe: Probe, session: Session, waitMs: number, what: string): void {
  expectThat(waitMs <= probe.longestWaitMs, session.timeouts.answer, `the conformance server's ${what} must be short for this check: at most ${probe.longestWaitMs} ms`);
}

const absoluteChecks = [
  check('a keepalive never moves the absolute deadline: absoluteRemainingMs only counts down', async (probe) => {
    const session = await signIn(probe);
    const before = session.timeouts;
    await waitToTellApart(probe, session);
    const kept = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}' });
    const after = liveBody(kept);
    // The absolute deadline as each answer places it: no later than the first, at the earliest the second.
    const [atMostBefore, atLeastAfter] = [before.answer.receivedAt + before.absoluteRemainingMs, kept.sentAt + after.absoluteRemainingMs];
    expectThat(atLeastAfter <= atMostBefore + SLOP_MS, kept, `a keepalive must not move the absolute deadline (absoluteRemainingMs ≤ ${atMostBefore + SLOP_MS - kept.sentAt} expected)`);
  }),

  check('keepalives never move the deadline past the absolute deadline: remainingMs is capped by absoluteRemainingMs, and the session ends there whatever the activity', async (probe) => {
    const session = await signIn(probe);
    const { idleTimeoutMs, absoluteRemainingMs, answer } = session.timeouts;
    expectShortEnough(probe, session, absoluteRemainingMs, 'absolute timeout (ABSOLUTE_TIMEOUT_MS)');
    const [absoluteAtLeast, absoluteAtMost] = [answer.sentAt + absoluteRemainingMs, answer.receivedAt + absoluteRemainingMs];
    // Active all along: a keepalive every half idle timeout, the last a quarter of one before the end.
    const lastAt = absoluteAtLeast - Math.floor(idleTimeoutMs / 4);
    for (;;) {
      await probe.sleep(Math.max(0, Math.min(Math.floor(idleTimeoutMs / 2), lastAt - probe.now())));
      const kept = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}' });
      const live = liveBody(kept);
      const capped = kept.sentAt + idleTimeoutMs > absoluteAtMost;
      if (capped) expectThat(live.remainingMs === live.absoluteRemainingMs, kept, 'a keepalive whose idle deadline would pass the absolute one: remainingMs must be absoluteRemainingMs');
      if (kept.sentAt < lastAt) continue;
      expectThat(capped, kept, `inconclusive: the status took ${answer.receivedAt - answer.sentAt} ms, too long to tell where the absolute deadline is`);
      break;
    }
    await probe.sleep(Math.max(0, absoluteAtMost + SLOP_MS - probe.now()));
    const late = await post(probe, KEEPALIVE_PATH, session.cookie, { body: '{"idleMs":0}' });
    expectError(late, 401, 'unknown-session');
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
  ...absoluteChecks,
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
