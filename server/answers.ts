// Every answer the server writes itself, from one builder: JSON, never cached. Errors come from
// the protocol's one table (protocol/index.ts), whether a route returns them or code that cannot
// return (sign-in, `c.var.getSession()`) throws them.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorBody, PROTOCOL_ERRORS, type ErrorCode } from '../protocol/index.ts';
import { SessionStoreFullError, SessionStoreUnavailableError } from './store.ts';

/**
 * The one place `Cache-Control: no-store` is written: on every protocol answer and on every
 * response that sets or clears the session cookie. These describe one person's session at one
 * moment; a shared cache may otherwise store a Set-Cookie (RFC 9111 §3) and hand the session to
 * the next person, and the back/forward cache must not replay a signed-in page.
 */
export function forbidCaching(target: Context | Headers): void {
  if (target instanceof Headers) target.set('Cache-Control', 'no-store');
  else target.header('Cache-Control', 'no-store');
}

/**
 * The one builder. With `c`, the answer keeps what was already set on it (a cleared cookie);
 * without, it stands alone — for an `HTTPException`, whose response Hono's error handler merges
 * with `c`'s headers itself.
 */
function jsonAnswer(status: ContentfulStatusCode, body: object, c?: Context): Response {
  const text = JSON.stringify(body);
  if (c) {
    forbidCaching(c);
    return c.newResponse(text, status, { 'Content-Type': 'application/json' });
  }
  const headers = new Headers({ 'Content-Type': 'application/json' });
  forbidCaching(headers);
  return new Response(text, { status, headers });
}

/**
 * A protocol answer on `c`.
 *
 * @example
 * return answer(c, 200, activeStatusBody(record, now, schedule));
 */
export function answer(c: Context, status: ContentfulStatusCode, body: object): Response {
  return jsonAnswer(status, body, c);
}

/**
 * A protocol error answer on `c`: the table's status and body, with a more precise message if given.
 *
 * @example
 * return errorAnswer(c, 'csrf', 'Origin https://evil.example is not allowed to send this request.');
 */
export function errorAnswer(c: Context, code: ErrorCode, message?: string): Response {
  return jsonAnswer(PROTOCOL_ERRORS[code].status, errorBody(code, message), c);
}

/**
 * The same error, to throw where no answer can be returned.
 *
 * @example
 * throw errorException('store-unavailable', { cause: error });
 */
export function errorException(code: ErrorCode, options: { message?: string; cause?: unknown } = {}): HTTPException {
  const body = errorBody(code, options.message);
  return new HTTPException(PROTOCOL_ERRORS[code].status, { message: body.message, cause: options.cause, res: jsonAnswer(PROTOCOL_ERRORS[code].status, body) });
}

/** The protocol code of a store failure (503); anything else is not a store failure and is rethrown. */
export function storeFailureCode(error: unknown): 'store-full' | 'store-unavailable' {
  if (error instanceof SessionStoreFullError) return 'store-full';
  if (error instanceof SessionStoreUnavailableError) return 'store-unavailable';
  throw error;
}
