// The session middleware and the two guards app routes put in front of their handlers.
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorAnswer, errorException, forbidCaching, storeFailureCode } from './answers.ts';
import type { SessionCookies } from './cookie.ts';
import { csrfRefusal } from './csrf.ts';
import type { IdleSessionEnv, IdleSessionVariables, RequiredSessionEnv } from './env.ts';
import { clearDeadCookie, findSession, type SessionLookup } from './find-session.ts';
import type { SessionParts } from './parts.ts';
import { activeSession, type ActiveSession } from './session.ts';
import { SessionStoreUnavailableError } from './store.ts';

/**
 * `idle.middleware`: offers the request's session as `c.var.getSession()` (loaded on the first
 * call) and counts the request as activity when the user made it on this site (`Sec-Fetch-Site`
 * same-origin, same-site from an allowed origin, or none on a navigation; see docs/protocol.md)
 * and it is not a background request. Refuses cross-site unsafe requests that carry the session
 * cookie with 403.
 *
 * @example
 * app.use(sessionMiddleware(parts, (c) => protocol.answered(c)));
 */
export function sessionMiddleware(parts: SessionParts, isProtocolRequest: (c: Context) => boolean): MiddlewareHandler<IdleSessionEnv> {
  return async function idleSession(c, next) {
    const cookies = parts.cookie.read(c);
    const refusal = csrfRefusal(parts.csrf, c.req.raw, 'middleware', cookies.count > 0);
    if (refusal !== undefined) return errorAnswer(c, 'csrf', refusal);
    const isActivity = cookies.ids.length > 0 && !parts.isBackgroundRequest(c) && parts.csrf.origins.madeOnThisSite(c.req.raw);
    // Read from the store on the first call only: a route that never asks costs no store call,
    // so pages and assets still load while the store is down.
    let session: Promise<ActiveSession | null> | undefined;
    const getSession = () => (session ??= readSession(parts, c, cookies, isActivity));
    c.set('getSession', getSession);
    await next();
    // signIn/signOut replace c.var.getSession; the protocol routes answer for themselves.
    if (isActivity && session === undefined && c.get('getSession') === getSession && !isProtocolRequest(c)) recordActivity(parts, c, cookies);
  };
}

/** What `c.var.getSession()` runs: one store call, extending when the request is activity. */
async function readSession(parts: SessionParts, c: Context, cookies: SessionCookies, isActivity: boolean): Promise<ActiveSession | null> {
  let found: SessionLookup;
  try {
    found = await findSession(parts, cookies, isActivity ? 0 : undefined);
  } catch (error) {
    throw errorException(storeFailureCode(error), { cause: error });
  }
  if (found.kind === 'live') return activeSession(found.record, parts.now());
  clearDeadCookie(parts, c, found, cookies);
  return null;
}

/** Activity of a request that never read its session: recorded without holding the response. */
function recordActivity(parts: SessionParts, c: Context, cookies: SessionCookies): void {
  const recording = findSession(parts, cookies, 0).then(
    () => undefined,
    (error: unknown) => {
      // The guarded store has logged an outage already, once per window.
      if (!(error instanceof SessionStoreUnavailableError)) parts.logger.error('idle-logout: recording activity failed', error);
    },
  );
  finishAfterResponse(c, recording);
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
 * A guard that lets only requests with a live session through (setting `c.var.session`), answers
 * the others with `signedOut(c)`, and the protocol's 503 when the store cannot say.
 *
 * @example
 * const requirePageSession = requireSessionOr((c) => c.redirect('/login', 303));
 */
export function requireSessionOr(signedOut: (c: Context) => Response): MiddlewareHandler<RequiredSessionEnv> {
  return async function requireSession(c, next) {
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
    if (!session) return signedOut(c);
    c.set('session', session);
    await next();
  };
}

/**
 * `idle.requireSession`: answers 401 `{"state":"signed-out"}` when the request has no live
 * session, and the protocol's 503 when the store cannot say.
 */
export const requireSession = requireSessionOr((c) => errorAnswer(c, 'no-session', 'Sign in to continue.'));

/**
 * `idle.requireSessionOrRedirect(url)`: for page routes — a signed-out browser is sent to `url`
 * (303, never cached: the same URL answers differently once signed in) instead of a 401 JSON body.
 *
 * @example
 * app.get('/app', requireSessionOrRedirect('/login'), (c) => c.html(page(c.var.session.subject)));
 */
export function requireSessionOrRedirect(url: string): MiddlewareHandler<RequiredSessionEnv> {
  return requireSessionOr((c) => {
    forbidCaching(c);
    return c.redirect(url, 303);
  });
}

/**
 * `idle.requireSameOrigin`: refuses an unsafe request that does not come from this site's pages
 * with 403 JSON `csrf`, with or without a session cookie.
 *
 * @example
 * app.post('/login', requireSameOrigin(parts), handler);
 */
export function requireSameOrigin(parts: SessionParts): MiddlewareHandler {
  return async function requireSameOrigin(c, next) {
    const refusal = csrfRefusal(parts.csrf, c.req.raw, 'require-same-origin');
    if (refusal !== undefined) return errorAnswer(c, 'csrf', refusal);
    await next();
  };
}
