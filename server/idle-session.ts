// The composition root of the server half: options in, parts built once, then wired. The parts
// parse and answer HTTP (routes.ts, middleware.ts, sign-in.ts); deadlines live in session.ts,
// storage behind the guarded SessionStore.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { createSessionCookie } from './cookie.ts';
import { createOriginCheck, isHttps } from './csrf.ts';
import type { IdleSessionEnv, RequiredSessionEnv } from './env.ts';
import { guardStore } from './guarded-store.ts';
import { requireSameOrigin, requireSession, requireSessionOrRedirect, sessionMiddleware } from './middleware.ts';
import { resolveOptions, type IdleSessionOptions } from './options.ts';
import { endReporter, type SessionParts } from './parts.ts';
import type { SessionSummary } from '../protocol/index.ts';
import { protocolRoutes } from './routes.ts';
import type { ActiveSession, SessionSchedule } from './session.ts';
import { endSession, endSessions, listSessions, updateSession } from './session-control.ts';
import { sessionControlRoutes } from './session-routes.ts';
import { signIn, signOut, type SignInOptions } from './sign-in.ts';
import type { SessionStore } from './store.ts';
import { startSweeper } from './sweeper.ts';

export type { ActiveSession } from './session.ts';
export type { IdleSessionEnv, IdleSessionVariables, RequiredSessionEnv } from './env.ts';
export type { SessionSummary } from '../protocol/index.ts';
export type { SignInOptions } from './sign-in.ts';

/** `signIn`'s arguments after the subject: the data is required when `Data` cannot be undefined. */
export type SignInArguments<Data> = undefined extends Data ? [data?: Data, options?: SignInOptions] : [data: Data, options?: SignInOptions];

/**
 * The server half, as `createIdleSession<Data>()` returns it. `Data` is the type of the session
 * data the app stores at sign-in; it flows to `c.var.session.data` and `onSessionEnd`.
 */
export interface IdleSession<Data = unknown> {
  /** Offers the session as `c.var.getSession()` and counts the user's requests on this site as activity. */
  middleware: MiddlewareHandler<IdleSessionEnv<Data>>;
  /** The protocol routes under `basePath` (docs/protocol.md): `app.route('/', idle.routes)`. */
  routes: Hono<IdleSessionEnv>;
  /**
   * Optional: the signed-in user's own session routes under `basePath` — `GET /sessions`,
   * `POST /sessions/end` `{handle}`, `POST /sessions/end-others` (docs/protocol.md). Mount them
   * beside `routes` if your pages offer "your sessions": `app.route('/', idle.sessionRoutes)`.
   */
  sessionRoutes: Hono<IdleSessionEnv>;
  /**
   * Answers 401 `{"state":"signed-out"}` when the request has no live session, and the
   * protocol's 503 when the store cannot say. Use after `middleware` on routes that need a
   * signed-in user.
   *
   * @example
   * app.get('/api/me', idle.requireSession, (c) => c.json({ user: c.var.session.subject }));
   */
  requireSession: MiddlewareHandler<RequiredSessionEnv<Data>>;
  /**
   * `requireSession` for page routes: a signed-out browser is redirected (303) to `url`, the
   * sign-in page, instead of getting a 401 JSON body.
   *
   * @example
   * app.get('/app', idle.requireSessionOrRedirect('/login'), (c) => c.html(renderApp(c.var.session.subject)));
   */
  requireSessionOrRedirect(url: string): MiddlewareHandler<RequiredSessionEnv<Data>>;
  /**
   * Refuses an unsafe request that does not come from this site's pages with 403 JSON `csrf`
   * (the protocol's rule: `Sec-Fetch-Site: same-origin`, or `same-site` from an origin in
   * `allowedOrigins`, else an allowed `Origin`), with or
   * without a session cookie. Put it before anything that reads the body, such as sign-in, so a
   * forged request costs nothing.
   *
   * @example
   * app.post('/login', idle.requireSameOrigin, bodyLimit({ maxSize: 4096 }), handler);
   */
  requireSameOrigin: MiddlewareHandler;
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
  signIn(c: Context, subject: string, ...rest: SignInArguments<Data>): Promise<ActiveSession<Data>>;
  /**
   * The subject's live sessions, oldest first, each with a `handle` that is safe to show; with
   * `current`, the session that request carries is marked `current: true`.
   *
   * @example
   * app.get('/account/sessions', idle.requireSession, async (c) => c.json(await idle.listSessions(c.var.session.subject, c)));
   */
  listSessions(subject: string, current?: Context): Promise<SessionSummary[]>;
  /**
   * Ends the subject's session shown with `handle` (reason `revoked`); false if the subject has
   * no such session — another subject's handle never matches.
   *
   * @example
   * await idle.endSession(c.var.session.subject, handle);
   */
  endSession(subject: string, handle: string): Promise<boolean>;
  /**
   * Ends all of the subject's sessions (reason `revoked`), or all but the one `except` carries;
   * resolves to how many ended. After a password change, end the others (ASVS 4.0.3 V3.3.3).
   *
   * @example
   * await idle.endSessions(user.id, { except: c }); // after a password change
   * await idle.endSessions(user.id);                // account locked by an admin
   */
  endSessions(subject: string, options?: { except?: Context }): Promise<number>;
  /**
   * Replaces the data of the request's live session atomically (a role change, a step-up) and
   * `c.var.session` with it; null when the request has no live session. Never extends it.
   *
   * @example
   * await idle.updateSession(c, { ...c.var.session.data, stepUpAt: Date.now() });
   */
  updateSession(c: Context, data: Data): Promise<ActiveSession<Data> | null>;
  /**
   * Signs the request's session out from app code (the same as `POST {base}/logout`).
   *
   * @example
   * app.post('/account/delete', async (c) => { await idle.signOut(c); return c.redirect('/'); });
   */
  signOut(c: Context): Promise<void>;
  /**
   * Ends every session whose deadline has passed and fires `onSessionEnd` for each, once.
   * Runs by itself every `sweepIntervalMs`; call it yourself where timers do not outlive a
   * request (a cron trigger on Workers). Resolves to how many sessions it ended.
   */
  sweepExpired(): Promise<number>;
  /** Stops the sweeper timer (for tests and graceful shutdown). */
  close(): void;
  /** The resolved schedule, e.g. to render "you'll be signed out after 5 minutes" (WCAG 2.2.6). */
  schedule: SessionSchedule;
  basePath: string;
  store: SessionStore;
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
export function createIdleSession<Data = unknown>(options: IdleSessionOptions<Data> = {}): IdleSession<Data> {
  const settings = resolveOptions(options);
  const { now, logger } = settings;
  const schedule: SessionSchedule = { idleTimeoutMs: settings.idleTimeoutMs, warningMs: settings.warningMs, absoluteTimeoutMs: settings.absoluteTimeoutMs };
  const parts: SessionParts = {
    store: guardStore(settings.store, { timeLimitMs: settings.storeTimeoutMs, now, logger }),
    cookie: createSessionCookie({
      name: settings.cookieName,
      sameSite: settings.cookieSameSite,
      domain: settings.cookieDomain,
      isSecure: (c) => (settings.cookieSecure === 'auto' ? isHttps(c.req.raw, settings.trustedProtoHeader) : settings.cookieSecure),
    }),
    csrf: { csrf: settings.csrf, origins: createOriginCheck(settings.allowedOrigins, settings.trustedProtoHeader) },
    schedule,
    maxSessionsPerSubject: settings.maxSessionsPerSubject,
    now,
    isBackgroundRequest: settings.isBackgroundRequest,
    reportEnded: endReporter(settings.onSessionEnd, logger),
    logger,
  };
  const protocol = protocolRoutes(parts, settings.basePath);
  const sweeper = startSweeper({ store: parts.store, now, intervalMs: settings.sweepIntervalMs, onEnded: parts.reportEnded, logger });
  // The parts keep data as `unknown`; only what signIn and updateSession stored (typed Data) comes
  // back out of the store, so these casts only name what the API's types already guarantee.
  const typed = <T>(value: unknown) => value as T;
  return {
    middleware: typed(sessionMiddleware(parts, protocol.answered)),
    routes: protocol.routes,
    sessionRoutes: sessionControlRoutes(parts, settings.basePath, protocol),
    requireSession: typed(requireSession),
    requireSessionOrRedirect: (url) => typed(requireSessionOrRedirect(url)),
    requireSameOrigin: requireSameOrigin(parts),
    signIn: async (c, subject, ...[data, signInOptions]) => typed(await signIn(parts, c, subject, data, signInOptions)),
    signOut: (c) => signOut(parts, c),
    listSessions: (subject, current) => listSessions(parts, subject, current),
    endSession: (subject, handle) => endSession(parts, subject, handle),
    endSessions: (subject, endOptions) => endSessions(parts, subject, endOptions),
    updateSession: async (c, data) => typed(await updateSession(parts, c, data)),
    sweepExpired: sweeper.sweepExpired,
    close: sweeper.stop,
    schedule: { ...schedule },
    basePath: settings.basePath,
    store: settings.store,
  };
}
