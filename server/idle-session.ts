// The HTTP shell around the session rules: the middleware, the three protocol routes, sign-in and
// sign-out, and the sweeper that ends sessions nobody asks about again. It parses and answers
// HTTP; deadlines live in session.ts, storage behind the SessionStore interface.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorBody, LOGOUT_BODY, MAX_KEEPALIVE_BYTES, parseKeepaliveBody, PROTOCOL_ERRORS, STATUS_PATH, KEEPALIVE_PATH, LOGOUT_PATH, type ErrorCode } from '../protocol/index.ts';
import { readBoundedText } from './body.ts';
import { createSessionCookie, type SessionCookies } from './cookie.ts';
import { createTimeLimit } from './time-limit.ts';
import { createOriginCheck, isHttps, isUnsafeMethod } from './csrf.ts';
import { LazyPromise } from './lazy-promise.ts';
import { resolveOptions, type EndedSession, type IdleSessionOptions } from './options.ts';
import {
  activeStatusBody,
  endReason,
  newSessionRecord,
  proposedIdleDeadline,
  sessionEndsAt,
  type EndReason,
  type SessionSchedule,
} from './session.ts';
import { newSessionId, storeKeyFor } from './session-id.ts';
import {
  SessionStoreFullError,
  SessionStoreUnavailableError,
  type ExpiredSession,
  type SessionRecord,
} from './store.ts';

/** The signed-in session as the app sees it (`await c.var.getSession()`, or `c.var.session` after `requireSession`). */
export interface ActiveSession {
  subject: string;
  data: unknown;
  createdAt: number;
  idleDeadlineAt: number;
  absoluteDeadlineAt: number;
  /** Time left before the session ends, after this request's own extension. */
  remainingMs: number;
}

/**
 * What the middleware puts on `c.var`.
 *
 * The session is read from the store only when a route asks (`await c.var.getSession()`), so
 * routes that never look at it (static files, the signed-out page, 404s) work while the store is
 * down; asking then throws an `HTTPException` with the protocol's 503 JSON (Hono renders it),
 * never a guess.
 *
 * `c.var.session` is set only where the session is known to be live: after `requireSession`,
 * and by `signIn`. Anywhere else it is undefined — so code that tests `if (!c.var.session)`
 * treats the request as signed out, never as signed in.
 */
export interface IdleSessionVariables {
  /** The live session, or null when the request has none; one store call per request, on first call. */
  getSession: () => Promise<ActiveSession | null>;
  /** The live session, set by `requireSession` (and `signIn`); undefined otherwise. */
  session?: ActiveSession;
}

export interface IdleSessionEnv {
  Variables: IdleSessionVariables;
}

/** The env of routes behind `requireSession`: `c.var.session` is the live session. */
export interface RequiredSessionEnv {
  Variables: IdleSessionVariables & { session: ActiveSession };
}

/** At most one store-outage log line per this many ms. */
const OUTAGE_REPORT_INTERVAL_MS = 10_000;
/** Ended sessions collected per store call; the sweeper yields to the event loop between batches. */
const SWEEP_BATCH = 500;

type SignedOutReason = 'none' | 'invalid' | 'unknown' | 'ambiguous';

type SessionLookup = { kind: SignedOutReason } | { kind: 'live'; key: string; record: SessionRecord };

const SIGNED_OUT_CODES = {
  none: 'no-session',
  invalid: 'invalid-session',
  unknown: 'unknown-session',
  ambiguous: 'ambiguous-session',
} as const satisfies Record<SignedOutReason, ErrorCode>;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A protocol error answer for code that cannot return one through `c` (it throws it). */
function jsonAnswer(status: number, body: object): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
}

/** Hands `work` to the platform to finish after the response (Workers' waitUntil), where there is one. */
function finishAfterResponse(c: Context, work: Promise<void>): void {
  let executionCtx: { waitUntil(promise: Promise<unknown>): void };
  try {
    executionCtx = c.executionCtx; // a getter that throws on platforms without one (Node, tests)
  } catch {
    return; // Node keeps running the promise by itself
  }
  executionCtx.waitUntil(work);
}

/**
 * Creates the server half of idle-logout: middleware that offers the session as `c.var.getSession()`
 * (and counts the user's requests on this site as activity), the protocol routes, and sign-in /
 * sign-out for app code.
 *
 * @example
 * const idle = createIdleSession({ onSessionEnd: (s) => audit(s.subject, s.reason) });
 * const app = new Hono<IdleSessionEnv>();
 * app.use(idle.middleware);
 * app.route('/', idle.routes);
 * app.post('/login', idle.requireSameOrigin, bodyLimit({ maxSize: 4096 }), async (c) => {
 *   await idle.signIn(c, 'alice');
 *   return c.redirect('/app', 303);
 * });
 * app.get('/app', async (c) => {
 *   const session = await c.var.getSession();
 *   return c.text(session ? `Hello ${session.subject}` : 'Signed out');
 * });
 */
export function createIdleSession(options: IdleSessionOptions = {}) {
  const settings = resolveOptions(options);
  const { store, basePath, now } = settings;
  const schedule: SessionSchedule = settings;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  let sweeping: Promise<number> | undefined;
  /** Expiry claims sent and not answered yet; one still there when a sweep starts outlived the bound. */
  let claimsUnanswered = 0;
  const sessionCookie = createSessionCookie({
    name: settings.cookieName,
    sameSite: settings.cookieSameSite,
    isSecure: (c) => (settings.cookieSecure === 'auto' ? isHttps(c.req.raw, settings.trustedProtoHeader) : settings.cookieSecure),
  });
  const origins = createOriginCheck(settings.allowedOrigins, settings.trustedProtoHeader);
  /** Requests the protocol routes answered: whatever path they are mounted at, never activity. */
  const protocolRequests = new WeakSet<Context>();

  // --- store access: every call awaited, bounded in time, failures made explicit -------------

  const withinStoreTimeout = createTimeLimit(
    settings.storeTimeoutMs,
    () => new SessionStoreUnavailableError(`the session store did not answer within ${settings.storeTimeoutMs} ms`),
    (error) =>
      error instanceof SessionStoreFullError || error instanceof SessionStoreUnavailableError
        ? error
        : new SessionStoreUnavailableError('the session store failed', { cause: error }),
  );

  // storeTimeoutMs is the ONE time bound of the store: every call answers within it, and a store
  // whose commands can arrive late (Redis) refuses work that reaches it later than that.
  store.adoptTimeLimit?.(settings.storeTimeoutMs);

  /**
   * A store call, bounded by `storeTimeoutMs`; any failure becomes a SessionStore…Error (→ 503).
   * `onLate` gets what the call answers after the bound: a sign-out or an expiry claim that the
   * store ran late has still removed its records, and only this instance can report them.
   */
  function inStore<T>(operation: () => Promise<T>, onLate?: (value: T) => void): Promise<T> {
    let call: Promise<T>;
    try {
      call = operation();
    } catch (error) {
      call = Promise.reject(error); // a store that throws instead of rejecting
    }
    return withinStoreTimeout(call, onLate);
  }

  function notifyEnded(record: SessionRecord, reason: EndReason, endedAt: number): void {
    const callback = settings.onSessionEnd;
    if (!callback) return;
    const ended: EndedSession = { subject: record.subject, reason, createdAt: record.createdAt, endedAt };
    if (record.data !== undefined) ended.data = record.data;
    try {
      const result = callback(ended);
      if (result instanceof Promise) result.catch((error: unknown) => settings.logger.error('idle-logout: onSessionEnd failed', error));
    } catch (error) {
      settings.logger.error('idle-logout: onSessionEnd failed', error);
    }
  }

  // --- the sweeper: one timer for all sessions ----------------------------------------------

  // Started at creation, not at the first request: an instance that gets no traffic (or a fleet
  // just restarted) must still end the sessions nobody asks about again.
  function startSweeper(): void {
    if (settings.sweepIntervalMs === 0) return;
    sweepTimer = setInterval(() => {
      sweepExpired().catch((error: unknown) => {
        if (error instanceof SessionStoreUnavailableError) reportStoreOutage(error); // once per window, not every second
        else settings.logger.error('idle-logout: sweeping ended sessions failed', error);
      });
    }, settings.sweepIntervalMs);
    // Do not keep a Node process alive just to sweep (the method does not exist everywhere).
    (sweepTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Ends every session whose deadline has passed and fires `onSessionEnd` for each, once.
   * Runs by itself every `sweepIntervalMs`; call it yourself where timers do not outlive a
   * request (a cron trigger on Workers). Resolves to how many sessions it ended.
   */
  function sweepExpired(): Promise<number> {
    // `finally` runs after the assignment even when sweepBatches fails at once.
    sweeping ??= sweepBatches().finally(() => (sweeping = undefined));
    return sweeping;
  }

  async function sweepBatches(): Promise<number> {
    let ended = 0;
    for (;;) {
      // A claim past the bound may still run: do not queue another behind it (every sweep would
      // add one while the store is away).
      if (claimsUnanswered > 0) throw new SessionStoreUnavailableError('the session store has not answered the previous expiry claim yet');
      const at = now();
      // The reason is fixed at the claim, whenever its answer arrives.
      const report = (claimed: ExpiredSession[]) => {
        for (const { record } of claimed) notifyEnded(record, endReason(record, at), at);
      };
      const batch = await inStore(() => claimExpired(at), report);
      report(batch);
      ended += batch.length;
      if (batch.length < SWEEP_BATCH) return ended;
      // Keep the event loop responsive when many sessions end at once.
      await yieldToEventLoop();
    }
  }

  /** store.takeExpired, counted in claimsUnanswered until it settles, in time or not. */
  function claimExpired(at: number): Promise<ExpiredSession[]> {
    const claim = store.takeExpired(at, SWEEP_BATCH); // a store that throws here sent nothing
    claimsUnanswered += 1;
    const answered = () => void (claimsUnanswered -= 1);
    claim.then(answered, answered);
    return claim;
  }

  // --- looking sessions up --------------------------------------------------------------------

  /**
   * The session the cookies name; with `idleMs`, extended as a keepalive would (one store call).
   *
   * Several cookies of our name reach us when another host on the parent domain, or anyone on
   * plain http, planted one beside ours ("cookie tossing"; browsers send the longer path first).
   * Then each well-formed one is looked up and only a single live one is the user's: a planted
   * malformed or dead cookie cannot hide it, and two live ones (the attacker's own session next
   * to the victim's) are trusted neither way.
   */
  async function findSession(cookies: SessionCookies, idleMs?: number): Promise<SessionLookup> {
    if (cookies.ids.length === 0) return { kind: cookies.count === 0 ? 'none' : 'invalid' };
    let key = storeKeyFor(cookies.ids[0]!);
    if (cookies.ids.length > 1) {
      const at = now();
      const found = await Promise.all(
        cookies.ids.map(async (id) => {
          const candidate = storeKeyFor(id);
          const record = await inStore(() => store.get(candidate, at));
          return record && { key: candidate, record };
        }),
      );
      const live = found.filter((entry) => entry !== undefined);
      if (live.length !== 1) return { kind: live.length === 0 ? 'unknown' : 'ambiguous' };
      if (idleMs === undefined) return { kind: 'live', ...live[0]! };
      key = live[0]!.key;
    }
    const at = now();
    const record = await inStore(() =>
      idleMs === undefined ? store.get(key, at) : store.extend(key, proposedIdleDeadline(at, idleMs, settings.idleTimeoutMs), at),
    );
    return record ? { kind: 'live', key, record } : { kind: 'unknown' };
  }

  /**
   * Whether a signed-out answer may clear the cookie. A clearing Set-Cookie hits the cookie this
   * host set (host-only, Path=/), so it is sent only when that is the one cookie of our name on
   * the request: with several, the dead or malformed one may be a planted one, and clearing would
   * delete the user's real session cookie instead.
   */
  function mayClearCookie(why: SignedOutReason, cookies: SessionCookies): boolean {
    return (why === 'invalid' || why === 'unknown') && cookies.count === 1;
  }

  // --- answers ------------------------------------------------------------------------------

  function fail(c: Context, code: ErrorCode, message?: string) {
    c.header('Cache-Control', 'no-store');
    return c.json(errorBody(code, message), PROTOCOL_ERRORS[code].status);
  }

  function signedOut(c: Context, why: SignedOutReason, cookies: SessionCookies) {
    if (mayClearCookie(why, cookies)) sessionCookie.clear(c);
    return fail(c, SIGNED_OUT_CODES[why]);
  }

  /** The 503 body for a store failure, logging an outage once per window; rethrows anything else. */
  function storeFailureBody(error: unknown) {
    if (error instanceof SessionStoreFullError) return errorBody('store-full');
    if (error instanceof SessionStoreUnavailableError) {
      reportStoreOutage(error);
      return errorBody('store-unavailable');
    }
    throw error;
  }

  function storeFailure(c: Context, error: unknown) {
    return fail(c, storeFailureBody(error).error);
  }

  /** For code that cannot return an answer (signIn, signOut, c.var.getSession()): throw it. */
  function storeFailureException(error: unknown): HTTPException {
    const body = storeFailureBody(error);
    return new HTTPException(503, { message: body.message, cause: error, res: jsonAnswer(503, body) });
  }

  // One line per outage window, not a stack trace per request: a store outage under load would
  // otherwise flood the logs.
  let lastOutageReportAt = -Infinity;
  function reportStoreOutage(error: SessionStoreUnavailableError): void {
    const at = now();
    if (at - lastOutageReportAt < OUTAGE_REPORT_INTERVAL_MS) return;
    lastOutageReportAt = at;
    settings.logger.error(`idle-logout: session store unavailable (${error.message}); answering 503`, error.cause ?? error);
  }

  function csrfFailure(c: Context) {
    const refusal = origins.crossSiteRefusal(c.req.raw);
    return refusal === undefined ? undefined : fail(c, 'csrf', refusal);
  }

  function active(c: Context, record: SessionRecord) {
    c.header('Cache-Control', 'no-store');
    return c.json(activeStatusBody(record, now(), schedule), 200);
  }

  /** Parses a keepalive body into idleMs, or answers the 4xx that explains what is wrong. */
  async function readIdleMs(c: Context): Promise<number | Response> {
    const body = await readBoundedText(c.req.raw, MAX_KEEPALIVE_BYTES);
    if (body.kind === 'too-large') return fail(c, 'body-too-large');
    const parsed = parseKeepaliveBody(body.text);
    return 'error' in parsed ? fail(c, parsed.error, parsed.message) : parsed.idleMs;
  }

  // --- the protocol routes --------------------------------------------------------------------

  const routes = new Hono<IdleSessionEnv>();

  /**
   * A protocol route's handler, marked so the middleware never counts its request as activity.
   * Marked in the handler, not by path: `app.route('/api', idle.routes)` moves the paths, and a
   * status request must never extend wherever it is mounted.
   */
  function protocolRoute(handler: (c: Context) => Promise<Response> | Response) {
    return (c: Context) => {
      protocolRequests.add(c);
      return handler(c);
    };
  }

  routes.get(basePath + STATUS_PATH, protocolRoute(async (c) => {
    const cookies = sessionCookie.read(c);
    try {
      const found = await findSession(cookies);
      return found.kind === 'live' ? active(c, found.record) : signedOut(c, found.kind, cookies);
    } catch (error) {
      return storeFailure(c, error);
    }
  }));

  routes.post(basePath + KEEPALIVE_PATH, protocolRoute(async (c) => {
    const refused = csrfFailure(c);
    if (refused) return refused;
    const idleMs = await readIdleMs(c);
    if (idleMs instanceof Response) return idleMs;
    const cookies = sessionCookie.read(c);
    try {
      const found = await findSession(cookies, idleMs);
      return found.kind === 'live' ? active(c, found.record) : signedOut(c, found.kind, cookies);
    } catch (error) {
      return storeFailure(c, error);
    }
  }));

  routes.post(basePath + LOGOUT_PATH, protocolRoute(async (c) => {
    const refused = csrfFailure(c);
    if (refused) return refused;
    try {
      await endSessionOf(c);
    } catch (error) {
      return storeFailure(c, error);
    }
    c.header('Cache-Control', 'no-store');
    return c.json(LOGOUT_BODY, 200);
  }));

  for (const [path, allow] of [[basePath + STATUS_PATH, 'GET, HEAD'], [basePath + KEEPALIVE_PATH, 'POST'], [basePath + LOGOUT_PATH, 'POST']] as const) {
    routes.all(path, protocolRoute((c) => {
      c.header('Allow', allow);
      return fail(c, 'method-not-allowed', `${c.req.method} is not allowed here; use ${allow}.`);
    }));
  }

  // --- sign-in and sign-out for app code ----------------------------------------------------

  /**
   * Deletes every session the request carried (whoever presents an id may end it, and a planted
   * one must not outlive a sign-in beside the new session); clears the cookie either way.
   */
  async function endSessionOf(c: Context): Promise<void> {
    const cookies = sessionCookie.read(c);
    await Promise.all(cookies.ids.map((id) => endSession(storeKeyFor(id))));
    // Only once the store has answered: a 503 must not look like a sign-out to the browser.
    if (cookies.count > 0) sessionCookie.clear(c);
  }

  /** Deletes one session and reports its end (once: only the caller that removed it sees it). */
  async function endSession(key: string): Promise<void> {
    // The reason is fixed when the user asks: a sign-out whose answer comes after the bound
    // is still a sign-out, reported once, when the answer arrives.
    const at = now();
    const report = (removed: SessionRecord | undefined) => {
      if (removed) notifyEnded(removed, endReason(removed, at), now());
    };
    report(await inStore(() => store.delete(key), report));
  }

  /**
   * Signs `subject` in: ends any session the request carried (no fixation), creates a new one
   * with a fresh id and sets the cookie on `c`. A cross-site sign-in (login CSRF) throws an
   * `HTTPException` with the protocol's 403 JSON; a full or unreachable store, with its 503 JSON.
   * Put `idle.requireSameOrigin` and a body limit before the handler, so that a cross-site or
   * oversized request is refused before its body is read.
   *
   * @example
   * app.post('/login', idle.requireSameOrigin, bodyLimit({ maxSize: 4096 }), async (c) => {
   *   const { username } = await c.req.json();
   *   await idle.signIn(c, username, { role: 'editor' });
   *   return c.json({ ok: true });
   * });
   */
  async function signIn(c: Context, subject: string, data?: unknown): Promise<ActiveSession> {
    if (typeof subject !== 'string' || subject === '') throw new TypeError('idle-logout: signIn needs a non-empty subject string');
    // Login CSRF: another site must not sign the browser in (to the attacker's account, say).
    const refusal = settings.csrf && isUnsafeMethod(c.req.method) ? origins.crossSiteRefusal(c.req.raw) : undefined;
    if (refusal !== undefined) {
      throw new HTTPException(403, { message: refusal, res: jsonAnswer(403, errorBody('csrf', refusal)) });
    }
    try {
      await endSessionOf(c);
      const id = newSessionId();
      const at = now();
      const record = newSessionRecord(subject, data, at, schedule);
      await inStore(() => store.create(storeKeyFor(id), record));
      sessionCookie.write(c, id);
      const session = viewOf(record, at);
      c.set('getSession', () => Promise.resolve(session));
      c.set('session', session);
      return session;
    } catch (error) {
      throw storeFailureException(error);
    }
  }

  /**
   * Signs the request's session out from app code (the same as `POST {base}/logout`).
   *
   * @example
   * app.post('/account/delete', async (c) => { await idle.signOut(c); return c.redirect('/'); });
   */
  async function signOut(c: Context): Promise<void> {
    try {
      await endSessionOf(c);
      c.set('getSession', () => Promise.resolve(null));
      c.set('session', undefined);
    } catch (error) {
      throw storeFailureException(error);
    }
  }

  function viewOf(record: SessionRecord, at: number): ActiveSession {
    return {
      subject: record.subject,
      data: record.data,
      createdAt: record.createdAt,
      idleDeadlineAt: record.idleDeadlineAt,
      absoluteDeadlineAt: record.absoluteDeadlineAt,
      remainingMs: Math.ceil(sessionEndsAt(record) - at),
    };
  }

  // --- the middleware -------------------------------------------------------------------------

  /** What `c.var.getSession()` runs: one store call, extending when the request is activity. */
  async function readSession(c: Context, cookies: SessionCookies, isActivity: boolean): Promise<ActiveSession | null> {
    let found: SessionLookup;
    try {
      found = await findSession(cookies, isActivity ? 0 : undefined);
    } catch (error) {
      throw storeFailureException(error);
    }
    if (found.kind === 'live') return viewOf(found.record, now());
    if (mayClearCookie(found.kind, cookies)) sessionCookie.clear(c);
    return null;
  }

  /** Activity of a request that never read its session: recorded without holding the response. */
  function recordActivity(c: Context, cookies: SessionCookies): void {
    const recording = findSession(cookies, 0).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof SessionStoreUnavailableError) reportStoreOutage(error);
        else settings.logger.error('idle-logout: recording activity failed', error);
      },
    );
    finishAfterResponse(c, recording);
  }

  /**
   * Offers the request's session as `c.var.getSession()` (loaded on the first call) and counts the
   * request as activity when the user made it on this site (`Sec-Fetch-Site` same-origin or
   * none; see docs/protocol.md) and it is not a background request (header
   * `Idle-Logout-Background: 1` or `isBackgroundRequest`). Refuses cross-site unsafe requests
   * that carry the session cookie with 403.
   */
  const middleware: MiddlewareHandler<IdleSessionEnv> = async (c, next) => {
    const cookies = sessionCookie.read(c);
    // Only a request that carries the session can be forged with it; requests without the
    // cookie (a payment provider's webhook, another server) are not ours to refuse.
    if (settings.csrf && cookies.count > 0 && isUnsafeMethod(c.req.method)) {
      const refused = csrfFailure(c);
      if (refused) return refused;
    }
    const isActivity = cookies.ids.length > 0 && !settings.isBackgroundRequest(c) && origins.madeOnThisSite(c.req.raw);
    const session = new LazyPromise(() => readSession(c, cookies, isActivity));
    const getSession = () => session;
    c.set('getSession', getSession);
    await next();
    // signIn/signOut replace c.var.getSession; the protocol routes answer for themselves.
    if (isActivity && !session.started && c.get('getSession') === getSession && !protocolRequests.has(c)) recordActivity(c, cookies);
  };

  /**
   * Answers 401 `{"state":"signed-out"}` when the request has no live session, and the
   * protocol's 503 when the store cannot say. Use after `middleware` on routes that need a
   * signed-in user.
   *
   * @example
   * app.get('/api/me', idle.requireSession, (c) => c.json({ user: c.var.session.subject }));
   */
  const requireSession: MiddlewareHandler<RequiredSessionEnv> = async (c, next) => {
    const getSession = c.get('getSession') as IdleSessionVariables['getSession'] | undefined;
    if (getSession === undefined) {
      throw new Error('idle-logout: requireSession found no c.var.getSession; add app.use(idle.middleware) before the routes that use it');
    }
    let session: ActiveSession | null;
    try {
      session = await getSession();
    } catch (error) {
      if (error instanceof HTTPException) return error.getResponse();
      throw error;
    }
    if (!session) return fail(c, 'no-session', 'Sign in to continue.');
    c.set('session', session);
    await next();
  };

  /**
   * Refuses an unsafe request that does not come from this site's pages with 403 JSON `csrf`
   * (the protocol's rule: `Sec-Fetch-Site: same-origin`, else an allowed `Origin`), with or
   * without a session cookie. Put it before anything that reads the body, such as sign-in, so a
   * forged request costs nothing.
   *
   * @example
   * app.post('/login', idle.requireSameOrigin, bodyLimit({ maxSize: 4096 }), handler);
   */
  const requireSameOrigin: MiddlewareHandler = async (c, next) => {
    if (isUnsafeMethod(c.req.method)) {
      const refused = csrfFailure(c);
      if (refused) return refused;
    }
    await next();
  };

  startSweeper();

  /** Stops the sweeper timer (for tests and graceful shutdown). */
  function close(): void {
    if (sweepTimer !== undefined) clearInterval(sweepTimer);
    sweepTimer = undefined;
  }

  return {
    middleware,
    routes,
    requireSession,
    requireSameOrigin,
    signIn,
    signOut,
    sweepExpired,
    close,
    /** The resolved schedule, e.g. to render "you'll be signed out after 5 minutes" (WCAG 2.2.6). */
    schedule: { idleTimeoutMs: schedule.idleTimeoutMs, warningMs: schedule.warningMs, absoluteTimeoutMs: schedule.absoluteTimeoutMs },
    basePath,
    store,
  };
}

export type IdleSession = ReturnType<typeof createIdleSession>;
