// The HTTP shell around the session rules: the middleware, the three protocol routes, sign-in and
// sign-out, and the sweeper that ends sessions nobody asks about again. It parses and answers
// HTTP; deadlines live in session.ts, storage behind the SessionStore interface.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { readBoundedText } from './body.ts';
import { cookieValue } from './cookie.ts';
import { createTimeLimit } from './time-limit.ts';
import { crossSiteRefusal, isUnsafeMethod } from './csrf.ts';
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
import { isWellFormedSessionId, newSessionId, storeKeyFor } from './session-id.ts';
import {
  SessionStoreFullError,
  SessionStoreUnavailableError,
  type ExpiredSession,
  type SessionRecord,
} from './store.ts';

/** The signed-in session as the app sees it on `c.var.session`. */
export interface ActiveSession {
  subject: string;
  data: unknown;
  createdAt: number;
  idleDeadlineAt: number;
  absoluteDeadlineAt: number;
  /** Time left before the session ends, after this request's own extension. */
  remainingMs: number;
}

/** `c.var.session` is the live session, or null when the request has none. */
export interface IdleSessionVariables {
  session: ActiveSession | null;
}

export interface IdleSessionEnv {
  Variables: IdleSessionVariables;
}

/** The largest keepalive body accepted (docs/protocol.md). */
const MAX_KEEPALIVE_BYTES = 1024;
/** At most one store-outage log line per this many ms. */
const OUTAGE_REPORT_INTERVAL_MS = 10_000;
/** Ended sessions collected per store call; the sweeper yields to the event loop between batches. */
const SWEEP_BATCH = 500;

type ErrorCode =
  | 'csrf'
  | 'invalid-json'
  | 'invalid-body'
  | 'body-too-large'
  | 'no-session'
  | 'unknown-session'
  | 'invalid-session'
  | 'store-unavailable'
  | 'store-full'
  | 'method-not-allowed';

type CookieRead =
  | { kind: 'none' }
  | { kind: 'invalid' }
  | { kind: 'id'; id: string };

type SessionLookup =
  | { kind: 'none' | 'invalid' | 'unknown' }
  | { kind: 'live'; key: string; record: SessionRecord };

const SIGNED_OUT_MESSAGES = {
  none: ['no-session', 'There is no session cookie on this request.'],
  invalid: ['invalid-session', 'The session cookie is not a session id this server issued.'],
  unknown: ['unknown-session', 'The session has ended (timed out or signed out) or never existed.'],
} as const satisfies Record<string, readonly [ErrorCode, string]>;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Creates the server half of idle-logout: middleware that loads (and, for ordinary requests,
 * extends) the session, the protocol routes, and sign-in / sign-out for app code.
 *
 * @example
 * const idle = createIdleSession({ onSessionEnd: (s) => audit(s.subject, s.reason) });
 * const app = new Hono<IdleSessionEnv>();
 * app.use(idle.middleware);
 * app.route('/', idle.routes);
 * app.post('/login', async (c) => {
 *   await idle.signIn(c, 'alice');
 *   return c.redirect('/app', 303);
 * });
 * app.get('/app', (c) => c.text(c.var.session ? `Hello ${c.var.session.subject}` : 'Signed out'));
 */
export function createIdleSession(options: IdleSessionOptions = {}) {
  const settings = resolveOptions(options);
  const { store, basePath, now } = settings;
  const schedule: SessionSchedule = settings;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  let sweeping: Promise<number> | undefined;
  /** Expiry claims sent and not answered yet; one still there when a sweep starts outlived the bound. */
  let claimsUnanswered = 0;

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

  // --- cookies ------------------------------------------------------------------------------

  function isSecure(c: Context): boolean {
    return settings.cookieSecure === 'auto' ? c.req.url.startsWith('https:') : settings.cookieSecure;
  }

  function readCookie(c: Context): CookieRead {
    const name = isSecure(c) ? `__Host-${settings.cookieName}` : settings.cookieName;
    const value = cookieValue(c.req.raw.headers.get('cookie'), name);
    if (value === undefined || value === '') return { kind: 'none' };
    return isWellFormedSessionId(value) ? { kind: 'id', id: value } : { kind: 'invalid' };
  }

  function writeCookie(c: Context, id: string): void {
    // No Max-Age or Expires: the server enforces time; the cookie lasts the browser session.
    const attributes = { httpOnly: true, sameSite: settings.cookieSameSite, path: '/' } as const;
    if (isSecure(c)) setCookie(c, settings.cookieName, id, { ...attributes, secure: true, prefix: 'host' });
    else setCookie(c, settings.cookieName, id, attributes);
  }

  function clearCookie(c: Context): void {
    const attributes = { httpOnly: true, sameSite: settings.cookieSameSite, path: '/' } as const;
    if (isSecure(c)) deleteCookie(c, settings.cookieName, { ...attributes, secure: true, prefix: 'host' });
    else deleteCookie(c, settings.cookieName, attributes);
  }

  async function lookUp(cookie: CookieRead): Promise<SessionLookup> {
    if (cookie.kind !== 'id') return { kind: cookie.kind };
    const key = storeKeyFor(cookie.id);
    const record = await inStore(() => store.get(key, now()));
    return record ? { kind: 'live', key, record } : { kind: 'unknown' };
  }

  // --- answers ------------------------------------------------------------------------------

  function fail(c: Context, status: ContentfulStatusCode, error: ErrorCode, message: string, extra?: object) {
    c.header('Cache-Control', 'no-store');
    return c.json({ ...extra, error, message }, status);
  }

  function signedOut(c: Context, why: 'none' | 'invalid' | 'unknown') {
    if (why !== 'none') clearCookie(c);
    const [error, message] = SIGNED_OUT_MESSAGES[why];
    return fail(c, 401, error, message, { state: 'signed-out' });
  }

  function storeFailure(c: Context, error: unknown) {
    if (error instanceof SessionStoreFullError) {
      return fail(c, 503, 'store-full', 'The server holds as many sessions as it may; try again later.', { state: 'unavailable' });
    }
    if (error instanceof SessionStoreUnavailableError) {
      reportStoreOutage(error);
      return fail(c, 503, 'store-unavailable', 'The session store cannot be reached; the session was not changed. Retry shortly.', { state: 'unavailable' });
    }
    throw error;
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
    const refusal = crossSiteRefusal(c.req.raw, settings.allowedOrigins);
    return refusal === undefined ? undefined : fail(c, 403, 'csrf', refusal);
  }

  function active(c: Context, record: SessionRecord) {
    c.header('Cache-Control', 'no-store');
    return c.json(activeStatusBody(record, now(), schedule), 200);
  }

  /** Parses a keepalive body into idleMs, or answers the 4xx that explains what is wrong. */
  async function readIdleMs(c: Context): Promise<number | Response> {
    const body = await readBoundedText(c.req.raw, MAX_KEEPALIVE_BYTES);
    if (body.kind === 'too-large') return fail(c, 413, 'body-too-large', `A keepalive body may be at most ${MAX_KEEPALIVE_BYTES} bytes.`);
    if (body.text.trim() === '') return 0;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return fail(c, 400, 'invalid-json', 'The body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return fail(c, 400, 'invalid-body', 'The body must be a JSON object like {"idleMs": 0}.');
    }
    const idleMs = (parsed as { idleMs?: unknown }).idleMs;
    if (idleMs === undefined) return 0;
    if (typeof idleMs !== 'number' || !Number.isFinite(idleMs) || idleMs < 0) {
      return fail(c, 400, 'invalid-body', 'idleMs must be a finite number of milliseconds, 0 or more.');
    }
    return Math.floor(idleMs);
  }

  // --- the protocol routes --------------------------------------------------------------------

  const routes = new Hono<IdleSessionEnv>();

  routes.get(basePath, async (c) => {
    try {
      const found = await lookUp(readCookie(c));
      return found.kind === 'live' ? active(c, found.record) : signedOut(c, found.kind);
    } catch (error) {
      return storeFailure(c, error);
    }
  });

  routes.post(`${basePath}/keepalive`, async (c) => {
    const refused = csrfFailure(c);
    if (refused) return refused;
    const idleMs = await readIdleMs(c);
    if (idleMs instanceof Response) return idleMs;
    const cookie = readCookie(c);
    if (cookie.kind !== 'id') return signedOut(c, cookie.kind);
    try {
      const key = storeKeyFor(cookie.id);
      const at = now();
      const record = await inStore(() => store.extend(key, proposedIdleDeadline(at, idleMs, settings.idleTimeoutMs), at));
      return record ? active(c, record) : signedOut(c, 'unknown');
    } catch (error) {
      return storeFailure(c, error);
    }
  });

  routes.post(`${basePath}/logout`, async (c) => {
    const refused = csrfFailure(c);
    if (refused) return refused;
    try {
      await endSessionOf(c);
    } catch (error) {
      return storeFailure(c, error);
    }
    c.header('Cache-Control', 'no-store');
    return c.json({ state: 'signed-out' }, 200);
  });

  for (const [path, allow] of [[basePath, 'GET, HEAD'], [`${basePath}/keepalive`, 'POST'], [`${basePath}/logout`, 'POST']] as const) {
    routes.all(path, (c) => {
      c.header('Allow', allow);
      return fail(c, 405, 'method-not-allowed', `${c.req.method} is not allowed here; use ${allow}.`);
    });
  }

  // --- sign-in and sign-out for app code ----------------------------------------------------

  /** Deletes the request's session if it has one; clears the cookie either way. */
  async function endSessionOf(c: Context): Promise<void> {
    const cookie = readCookie(c);
    if (cookie.kind === 'id') {
      const key = storeKeyFor(cookie.id);
      // The reason is fixed when the user asks: a sign-out whose answer comes after the bound
      // is still a sign-out, reported once, when the answer arrives.
      const at = now();
      const report = (removed: SessionRecord | undefined) => {
        if (removed) notifyEnded(removed, endReason(removed, at), now());
      };
      report(await inStore(() => store.delete(key), report));
    }
    // Only once the store has answered: a 503 must not look like a sign-out to the browser.
    if (cookie.kind !== 'none') clearCookie(c);
  }

  /** A protocol error answer for code that cannot return one (signIn and signOut throw it). */
  function jsonError(status: ContentfulStatusCode, body: object): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
  }

  function asHttpError(error: unknown): never {
    if (error instanceof SessionStoreFullError || error instanceof SessionStoreUnavailableError) {
      const full = error instanceof SessionStoreFullError;
      const body = {
        state: 'unavailable',
        error: full ? 'store-full' : 'store-unavailable',
        message: full ? 'The server holds as many sessions as it may; try again later.' : 'The session store cannot be reached. Retry shortly.',
      };
      throw new HTTPException(503, { message: body.message, cause: error, res: jsonError(503, body) });
    }
    throw error;
  }

  /**
   * Signs `subject` in: ends any session the request carried (no fixation), creates a new one
   * with a fresh id and sets the cookie on `c`. A cross-site sign-in (login CSRF) throws an
   * `HTTPException` with the protocol's 403 JSON; a full or unreachable store, with its 503 JSON.
   *
   * @example
   * app.post('/login', async (c) => {
   *   const { username } = await c.req.json();
   *   await idle.signIn(c, username, { role: 'editor' });
   *   return c.json({ ok: true });
   * });
   */
  async function signIn(c: Context, subject: string, data?: unknown): Promise<ActiveSession> {
    if (typeof subject !== 'string' || subject === '') throw new TypeError('idle-logout: signIn needs a non-empty subject string');
    // Login CSRF: another site must not sign the browser in (to the attacker's account, say).
    const refusal = settings.csrf && isUnsafeMethod(c.req.method) ? crossSiteRefusal(c.req.raw, settings.allowedOrigins) : undefined;
    if (refusal !== undefined) {
      throw new HTTPException(403, { message: refusal, res: jsonError(403, { error: 'csrf', message: refusal }) });
    }
    try {
      await endSessionOf(c);
      const id = newSessionId();
      const at = now();
      const record = newSessionRecord(subject, data, at, schedule);
      await inStore(() => store.create(storeKeyFor(id), record));
      writeCookie(c, id);
      const session = viewOf(record, at);
      c.set('session', session);
      return session;
    } catch (error) {
      return asHttpError(error);
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
      c.set('session', null);
    } catch (error) {
      asHttpError(error);
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

  function isProtocolPath(path: string): boolean {
    return path === basePath || path.startsWith(`${basePath}/`);
  }

  /**
   * Loads the request's session onto `c.var.session`; ordinary requests extend it, background
   * ones (header `Idle-Logout-Background: 1` or `isBackgroundRequest`) do not. Refuses cross-site
   * unsafe requests that carry the session cookie with 403, and answers 503 when the store fails.
   */
  const middleware: MiddlewareHandler<IdleSessionEnv> = async (c, next) => {
    if (isProtocolPath(c.req.path)) return next(); // the routes load the session themselves
    const cookie = readCookie(c);
    // Only a request that carries the session can be forged with it; requests without the
    // cookie (a payment provider's webhook, another server) are not ours to refuse.
    if (settings.csrf && cookie.kind !== 'none' && isUnsafeMethod(c.req.method)) {
      const refused = csrfFailure(c);
      if (refused) return refused;
    }
    let session: ActiveSession | null = null;
    try {
      const found = await lookUp(cookie);
      if (found.kind === 'live') {
        let record: SessionRecord | undefined = found.record;
        const at = now();
        if (!settings.isBackgroundRequest(c)) {
          record = await inStore(() => store.extend(found.key, proposedIdleDeadline(at, 0, settings.idleTimeoutMs), at));
        }
        session = record ? viewOf(record, at) : null;
      }
      if (!session && found.kind !== 'none') clearCookie(c);
    } catch (error) {
      return storeFailure(c, error);
    }
    c.set('session', session);
    await next();
  };

  /**
   * Answers 401 `{"state":"signed-out"}` when the request has no live session. Use after
   * `middleware` on routes that need a signed-in user.
   *
   * @example
   * app.get('/api/me', idle.requireSession, (c) => c.json({ user: c.var.session!.subject }));
   */
  const requireSession: MiddlewareHandler<IdleSessionEnv> = async (c, next) => {
    if (!c.get('session')) return fail(c, 401, 'no-session', 'Sign in to continue.', { state: 'signed-out' });
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
