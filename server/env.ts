// What the middleware offers app code on `c.var`, as Hono env types.
import type { ActiveSession } from './session.ts';

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
export interface IdleSessionVariables<Data = unknown> {
  /** The live session, or null when the request has none; one store call per request, on first call. */
  getSession: () => Promise<ActiveSession<Data> | null>;
  /** The live session, set by `requireSession` (and `signIn`); undefined otherwise. */
  session?: ActiveSession<Data>;
}

/** The env of an app that uses the middleware: `new Hono<IdleSessionEnv<{ role: string }>>()`. */
export interface IdleSessionEnv<Data = unknown> {
  Variables: IdleSessionVariables<Data>;
}

/** The env of routes behind `requireSession`: `c.var.session` is the live session, never undefined. */
export interface RequiredSessionEnv<Data = unknown> {
  Variables: IdleSessionVariables<Data> & { session: ActiveSession<Data> };
}
