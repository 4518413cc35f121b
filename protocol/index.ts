// The idle-logout wire protocol (docs/protocol.md) in code: the one statement that the server, the
// client's transport, the tests and the benches import. protocol/index.test.ts checks the page
// against it, so a code or a field added on one side only fails.
//
// Keep what the client imports small (paths, the body encoders and parsers): the script-tag file
// has a 12 KB budget, and the bundler drops whatever the client does not import (the error table).

/** Where the protocol routes live by default; both halves let the app change it. */
export const DEFAULT_BASE_PATH = '/session';

// The three routes, relative to the base path. Plain string constants, not an object: the
// bundler inlines them into the script-tag file.
/** `GET {base}`: the session's status; never extends it. */
export const STATUS_PATH = '';
/** `POST {base}/keepalive`: the user was active `idleMs` ago. */
export const KEEPALIVE_PATH = '/keepalive';
/** `POST {base}/logout`: sign out. */
export const LOGOUT_PATH = '/logout';

// The optional per-user session control routes (the app mounts them if it wants them), also
// relative to the base path.
/** `GET {base}/sessions`: the signed-in user's live sessions. */
export const SESSIONS_PATH = '/sessions';
/** `POST {base}/sessions/end`: end one of them, by handle. */
export const END_SESSION_PATH = '/sessions/end';
/** `POST {base}/sessions/end-others`: end all of them but the one making the request. */
export const END_OTHER_SESSIONS_PATH = '/sessions/end-others';

/** A request with this header set to `1` is never counted as the user's activity (polling). */
export const BACKGROUND_HEADER = 'Idle-Logout-Background';

/** The largest keepalive body a server accepts. */
export const MAX_KEEPALIVE_BYTES = 1024;

/** The body of `GET {base}` and of a successful keepalive: the session is live. */
export interface StatusBody {
  state: 'active';
  /** min(idle deadline, absolute deadline) − server now; ≥ 1. */
  remainingMs: number;
  idleTimeoutMs: number;
  warningMs: number;
  /** Time left until the absolute deadline. */
  absoluteRemainingMs: number;
}

/** The numbers of a status body (every field but `state`). */
export type LiveStatus = Omit<StatusBody, 'state'>;

/** A status body as the client reads it. */
export type ParsedStatus = { type: 'live' } & LiveStatus;

/** The body of `POST {base}/keepalive`: how long ago the user was last active. */
export interface KeepaliveBody {
  idleMs: number;
}

/** The body of a successful `POST {base}/logout`. */
export interface LogoutBody {
  state: 'signed-out';
}

export const LOGOUT_BODY: LogoutBody = { state: 'signed-out' };

/** One of the user's sessions, as `GET {base}/sessions` lists it. */
export interface SessionSummary {
  /** Names the session to `POST {base}/sessions/end`; safe to show, cannot be turned into the cookie. */
  handle: string;
  /** Whether it is the session of the request that asked. */
  current: boolean;
  /** Epoch ms (server clock) of sign-in. */
  createdAt: number;
  /** Epoch ms of the last activity the server knows of (at least this late). */
  lastActiveAt: number;
  idleDeadlineAt: number;
  absoluteDeadlineAt: number;
  /** What the app chose at sign-in to show (device, browser); `{}` when nothing. */
  display: Record<string, string>;
}

/** The body of `GET {base}/sessions`: oldest first. */
export interface SessionListBody {
  sessions: SessionSummary[];
}

/** The body of `POST {base}/sessions/end`. */
export interface EndSessionBody {
  handle: string;
}

/** The body of a successful `POST {base}/sessions/end` or `…/end-others`: how many sessions ended. */
export interface EndedSessionsBody {
  ended: number;
}

interface ErrorSpec {
  status: 400 | 401 | 403 | 405 | 413 | 503;
  /** The body's `state` besides `error` and `message`, for the answers that say one. */
  state?: 'signed-out' | 'unavailable';
  /** The default message; an answer may say more precisely what was wrong. */
  message: string;
}

/** Every error code the server answers, with its status and what its body says. */
export const PROTOCOL_ERRORS = {
  'invalid-json': { status: 400, message: 'The body is not valid JSON.' },
  'invalid-body': { status: 400, message: 'The body must be a JSON object like {"idleMs": 0}.' },
  'no-session': { status: 401, state: 'signed-out', message: 'There is no session cookie on this request.' },
  'unknown-session': { status: 401, state: 'signed-out', message: 'The session has ended (timed out or signed out) or never existed.' },
  'invalid-session': { status: 401, state: 'signed-out', message: 'The session cookie is not a session id this server issued.' },
  'ambiguous-session': {
    status: 401,
    state: 'signed-out',
    message: 'The request carries several live session cookies, so another site planted one; none is trusted. Sign in again.',
  },
  'session-revoked': { status: 401, state: 'signed-out', message: 'The session was ended by the site or from another browser. Sign in again.' },
  'session-replaced': {
    status: 401,
    state: 'signed-out',
    message: 'The session was ended because the same account signed in on more browsers than it may hold sessions. Sign in again.',
  },
  csrf: { status: 403, message: 'Only this site’s own pages may send this request.' },
  'method-not-allowed': { status: 405, message: 'This method is not allowed on this path.' },
  'body-too-large': { status: 413, message: `A keepalive body may be at most ${MAX_KEEPALIVE_BYTES} bytes.` },
  'store-unavailable': { status: 503, state: 'unavailable', message: 'The session store cannot be reached; the session was not changed. Retry shortly.' },
  'store-full': { status: 503, state: 'unavailable', message: 'The server holds as many sessions as it may; try again later.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof PROTOCOL_ERRORS;

/** The body of every error answer. */
export interface ErrorBody {
  state?: 'signed-out' | 'unavailable';
  error: ErrorCode;
  message: string;
}

/**
 * The body of an error answer, with the table's `state` and message (or a more precise one).
 *
 * @example
 * errorBody('no-session') // { state: 'signed-out', error: 'no-session', message: 'There is no session cookie…' }
 */
export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  const spec: ErrorSpec = PROTOCOL_ERRORS[code];
  const body: ErrorBody = { error: code, message: message ?? spec.message };
  return spec.state ? { state: spec.state, ...body } : body;
}

/**
 * The status body of a live session.
 *
 * @example
 * statusBody({ remainingMs: 287_512, idleTimeoutMs: 300_000, warningMs: 60_000, absoluteRemainingMs: 43_187_512 })
 */
export function statusBody(live: LiveStatus): StatusBody {
  return {
    state: 'active',
    remainingMs: live.remainingMs,
    idleTimeoutMs: live.idleTimeoutMs,
    warningMs: live.warningMs,
    absoluteRemainingMs: live.absoluteRemainingMs,
  };
}

/**
 * A status body as the client reads it, or undefined when the JSON is not this protocol (a proxy's
 * page, another app's answer): never success. `absoluteRemainingMs` is optional on the wire (an
 * addition to version 1), so a server without it reads as "no absolute limit".
 *
 * @example
 * parseStatusBody(await response.json()) // { type: 'live', remainingMs, idleTimeoutMs, warningMs, absoluteRemainingMs } or undefined
 */
export function parseStatusBody(json: unknown): ParsedStatus | undefined {
  const { remainingMs, idleTimeoutMs, warningMs, absoluteRemainingMs } = Object(json) as Record<string, unknown>;
  if (typeof remainingMs !== 'number' || typeof idleTimeoutMs !== 'number' || typeof warningMs !== 'number') return undefined;
  return {
    type: 'live',
    remainingMs,
    idleTimeoutMs,
    warningMs,
    absoluteRemainingMs: typeof absoluteRemainingMs === 'number' ? absoluteRemainingMs : Number.MAX_SAFE_INTEGER,
  };
}

/**
 * An end-session body as the server reads it: the handle, or the 400 that explains what is wrong.
 *
 * @example
 * parseEndSessionBody('{"handle":"Zt3…"}') // { handle: 'Zt3…' }
 */
export function parseEndSessionBody(text: string): EndSessionBody | { error: 'invalid-json' | 'invalid-body'; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'invalid-json', message: PROTOCOL_ERRORS['invalid-json'].message };
  }
  const handle = (Object(parsed) as { handle?: unknown }).handle;
  if (typeof handle !== 'string' || handle === '') return { error: 'invalid-body', message: 'The body must be a JSON object like {"handle": "…"}, with a handle from GET {base}/sessions.' };
  return { handle };
}

/**
 * The keepalive body for `idleMs` (a whole number of ms, 0 or more).
 *
 * @example
 * encodeKeepaliveBody(1250.7) // '{"idleMs":1250}'
 */
export function encodeKeepaliveBody(idleMs: number): string {
  const body: KeepaliveBody = { idleMs: Math.max(0, Math.floor(idleMs)) };
  return JSON.stringify(body);
}

/**
 * A keepalive body as the server reads it: `idleMs` (an empty body or no `idleMs` means 0,
 * fractions are floored, other fields ignored), or the 400 that explains what is wrong.
 *
 * @example
 * parseKeepaliveBody('{"idleMs":1250.7}') // { idleMs: 1250 }
 * parseKeepaliveBody('[]')                // { error: 'invalid-body', message: 'The body must be a JSON object…' }
 */
export function parseKeepaliveBody(text: string): KeepaliveBody | { error: 'invalid-json' | 'invalid-body'; message: string } {
  if (text.trim() === '') return { idleMs: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'invalid-json', message: PROTOCOL_ERRORS['invalid-json'].message };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { error: 'invalid-body', message: PROTOCOL_ERRORS['invalid-body'].message };
  }
  const idleMs = (parsed as { idleMs?: unknown }).idleMs;
  if (idleMs === undefined) return { idleMs: 0 };
  if (typeof idleMs !== 'number' || !Number.isFinite(idleMs) || idleMs < 0) {
    return { error: 'invalid-body', message: 'idleMs must be a finite number of milliseconds, 0 or more.' };
  }
  return { idleMs: Math.floor(idleMs) };
}
