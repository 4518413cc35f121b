// The protocol's three routes (docs/protocol.md), and 405 for other methods on their paths.
import { Hono, type Context } from 'hono';
import { KEEPALIVE_PATH, LOGOUT_BODY, LOGOUT_PATH, STATUS_PATH, type ErrorCode } from '../protocol/index.ts';
import { answer, errorAnswer, storeFailureCode } from './answers.ts';
import { readKeepaliveBody } from './body.ts';
import { csrfRefusal } from './csrf.ts';
import type { IdleSessionEnv } from './env.ts';
import { clearDeadCookie, findSession, type SessionLookup } from './find-session.ts';
import type { SessionParts } from './parts.ts';
import { activeStatusBody } from './session.ts';
import { requestMemo } from './request-memo.ts';
import { endSessionsOf } from './sign-in.ts';
import type { RemovalMark } from './store.ts';

const SIGNED_OUT_CODES = {
  none: 'no-session',
  invalid: 'invalid-session',
  unknown: 'unknown-session',
  ambiguous: 'ambiguous-session',
} as const;

const REMOVED_CODES: Record<RemovalMark, ErrorCode> = { revoked: 'session-revoked', replaced: 'session-replaced' };

/** A protocol route's handler: marked as protocol traffic, store failures answered with 503. */
export type RouteWrapper = (handler: (c: Context) => Promise<Response> | Response) => (c: Context) => Promise<Response>;

export interface ProtocolRoutes {
  routes: Hono<IdleSessionEnv>;
  /** Whether a protocol route answered `c`: such a request is never activity, wherever mounted. */
  answered(c: Context): boolean;
  /** Wraps the optional routes' handlers the same way (session-routes.ts). */
  route: RouteWrapper;
  /** The status answer for what `findSession` found (200, or the 401 that says why). */
  sessionAnswer(c: Context, found: SessionLookup): Promise<Response>;
}

/**
 * 405 with `Allow` for any other method on the given paths; it never reads, extends or ends the session.
 *
 * @example
 * refuseOtherMethods(routes, route, '/session', [['/keepalive', 'POST']]);
 */
export function refuseOtherMethods(routes: Hono<IdleSessionEnv>, route: RouteWrapper, basePath: string, allowed: readonly (readonly [string, string])[]): void {
  for (const [path, allow] of allowed) {
    routes.all(basePath + path, route((c) => {
      c.header('Allow', allow);
      return errorAnswer(c, 'method-not-allowed', `${c.req.method} is not allowed here; use ${allow}.`);
    }));
  }
}

/**
 * The routes under `basePath`. Store failures answer the protocol's 503.
 *
 * @example
 * const { routes } = protocolRoutes(parts, '/session');
 * app.route('/', routes);
 */
export function protocolRoutes(parts: SessionParts, basePath: string): ProtocolRoutes {
  const routes = new Hono<IdleSessionEnv>();
  const protocolRequests = requestMemo<true>('protocol-route');

  /**
   * A protocol route's handler, marked so the middleware never counts its request as activity.
   * Marked in the handler, not by path: `app.route('/api', idle.routes)` moves the paths, and a
   * status request must never extend wherever it is mounted.
   */
  function route(handler: (c: Context) => Promise<Response> | Response): (c: Context) => Promise<Response> {
    return async (c: Context) => {
      protocolRequests.remember(c, true);
      try {
        return await handler(c);
      } catch (error) {
        return errorAnswer(c, storeFailureCode(error));
      }
    };
  }

  /** The status answer for what `findSession` found. */
  async function sessionAnswer(c: Context, found: SessionLookup): Promise<Response> {
    if (found.kind === 'live') return answer(c, 200, activeStatusBody(found.record, parts.now(), parts.schedule));
    const cookies = parts.cookie.read(c);
    clearDeadCookie(parts, c, found, cookies);
    // `session-revoked` / `session-replaced` when the store kept that mark, so the browser can say
    // it was ended elsewhere.
    return errorAnswer(c, found.endedBy ? REMOVED_CODES[found.endedBy] : SIGNED_OUT_CODES[found.kind]);
  }

  routes.get(basePath + STATUS_PATH, route(async (c) => sessionAnswer(c, await findSession(parts, parts.cookie.read(c)))));

  routes.post(basePath + KEEPALIVE_PATH, route(async (c) => {
    const refusal = csrfRefusal(parts.csrf, c.req.raw, 'protocol-route');
    if (refusal !== undefined) return errorAnswer(c, 'csrf', refusal);
    const body = await readKeepaliveBody(c.req.raw);
    if ('error' in body) return errorAnswer(c, body.error, body.message);
    return sessionAnswer(c, await findSession(parts, parts.cookie.read(c), body.idleMs));
  }));

  routes.post(basePath + LOGOUT_PATH, route(async (c) => {
    const refusal = csrfRefusal(parts.csrf, c.req.raw, 'protocol-route');
    if (refusal !== undefined) return errorAnswer(c, 'csrf', refusal);
    await endSessionsOf(parts, c);
    return answer(c, 200, LOGOUT_BODY);
  }));

  refuseOtherMethods(routes, route, basePath, [[STATUS_PATH, 'GET, HEAD'], [KEEPALIVE_PATH, 'POST'], [LOGOUT_PATH, 'POST']]);

  return { routes, answered: (c) => protocolRequests.recall(c) === true, route, sessionAnswer };
}
