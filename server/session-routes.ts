// The optional per-user session control routes (docs/protocol.md, "Optional: the user's
// sessions"): list my sessions, end one of mine, end all my others. JSON, CSRF-checked like the
// protocol's POST routes, never activity; the app mounts them only if it wants them.
import { Hono, type Context } from 'hono';
import {
  END_OTHER_SESSIONS_PATH,
  END_SESSION_PATH,
  MAX_KEEPALIVE_BYTES,
  parseEndSessionBody,
  SESSIONS_PATH,
  type EndedSessionsBody,
  type SessionListBody,
} from '../protocol/index.ts';
import { answer, errorAnswer } from './answers.ts';
import { readBoundedText } from './body.ts';
import { csrfRefusal } from './csrf.ts';
import type { IdleSessionEnv } from './env.ts';
import { findSession } from './find-session.ts';
import type { SessionParts } from './parts.ts';
import { refuseOtherMethods, type ProtocolRoutes } from './routes.ts';
import { endSession, endSessions, listSessions } from './session-control.ts';
import { sessionHandleFor } from './session-id.ts';

/**
 * The routes under `basePath`, wrapped like the protocol's (never activity; store failures 503).
 *
 * @example
 * app.route('/', sessionControlRoutes(parts, '/session', protocol));
 */
export function sessionControlRoutes(parts: SessionParts, basePath: string, protocol: Pick<ProtocolRoutes, 'route' | 'sessionAnswer'>): Hono<IdleSessionEnv> {
  const routes = new Hono<IdleSessionEnv>();
  const { route, sessionAnswer } = protocol;

  /** A handler for the signed-in user: CSRF first on POST, then the live session or the status route's 401. */
  function mine(handler: (c: Context, subject: string, currentKey: string) => Promise<Response>) {
    return route(async (c) => {
      const refusal = csrfRefusal(parts.csrf, c.req.raw, 'protocol-route');
      if (refusal !== undefined) return errorAnswer(c, 'csrf', refusal);
      const found = await findSession(parts, parts.cookie.read(c));
      if (found.kind !== 'live') return sessionAnswer(c, found);
      return handler(c, found.record.subject, found.key);
    });
  }

  routes.get(basePath + SESSIONS_PATH, mine(async (c, subject) => {
    const body: SessionListBody = { sessions: await listSessions(parts, subject, c) };
    return answer(c, 200, body);
  }));

  routes.post(basePath + END_SESSION_PATH, mine(async (c, subject, currentKey) => {
    const text = await readBoundedText(c.req.raw, MAX_KEEPALIVE_BYTES);
    if (text.kind === 'too-large') return errorAnswer(c, 'body-too-large', `The body may be at most ${MAX_KEEPALIVE_BYTES} bytes.`);
    const body = parseEndSessionBody(text.text);
    if ('error' in body) return errorAnswer(c, body.error, body.message);
    const ended = await endSession(parts, subject, body.handle);
    // Ending the session this browser is using is a sign-out: the cookie goes with it.
    if (ended && body.handle === sessionHandleFor(currentKey)) parts.cookie.clear(c);
    const answered: EndedSessionsBody = { ended: ended ? 1 : 0 };
    return answer(c, 200, answered);
  }));

  routes.post(basePath + END_OTHER_SESSIONS_PATH, mine(async (c, subject) => {
    const answered: EndedSessionsBody = { ended: await endSessions(parts, subject, { except: c }) };
    return answer(c, 200, answered);
  }));

  refuseOtherMethods(routes, route, basePath, [[SESSIONS_PATH, 'GET, HEAD'], [END_SESSION_PATH, 'POST'], [END_OTHER_SESSIONS_PATH, 'POST']]);
  return routes;
}
