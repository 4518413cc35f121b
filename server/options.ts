// Every option of the server side, with its default, validated in one place.
import type { Context } from 'hono';
import { BACKGROUND_HEADER, DEFAULT_BASE_PATH } from '../protocol/index.ts';
import { MemorySessionStore } from './memory-store.ts';
import { check, integerAtLeast } from './option-checks.ts';
import type { EndReason } from './session.ts';
import { SESSION_STORE_METHODS, type SessionStore } from './store.ts';

/** What `onSessionEnd` receives, exactly once per ended session. */
export interface EndedSession<Data = unknown> {
  subject: string;
  data?: Data;
  reason: EndReason;
  createdAt: number;
  /** When the server noticed (for `idle`/`absolute`, at most a sweep interval after the deadline). */
  endedAt: number;
}

export interface SessionCookieOptions {
  /** Cookie name; on https the `__Host-` prefix is added (`__Secure-` with a `domain`). Default `idle_session`. */
  name?: string;
  /**
   * `'auto'` (default): Secure and `__Host-` when the browser used https — the request URL's
   * scheme, or behind a TLS-terminating proxy the one `trustedProtoHeader` reports. `true` forces
   * them (then plain-http development on a host other than localhost cannot sign in).
   */
  secure?: 'auto' | boolean;
  /** Default `Lax`: top-level navigations from other sites still carry the session. */
  sameSite?: 'Lax' | 'Strict';
  /**
   * Shares the cookie with every host under this domain, e.g. `'example.com'` so that both
   * `app.example.com` and `api.example.com` receive it. Default: none — the cookie is host-only,
   * which is safer: only set it when a second host must read the session. With it, the https
   * prefix is `__Secure-` instead of `__Host-` (which forbids a Domain), so any host under the
   * domain can set a cookie of that name; keep hosts you do not control (user content) off it.
   */
  domain?: string;
}

/** `Data` is the type of the session data the app gives `signIn` (see `createIdleSession<Data>()`). */
export interface IdleSessionOptions<Data = unknown> {
  /** How long a session lives without activity. Default 300 000 (5 min). */
  idleTimeoutMs?: number;
  /** How long before the deadline clients warn. Default 60 000. Below 20 000 fails WCAG 2.2.1. */
  warningMs?: number;
  /** Longest a session can live, whatever the activity. Default 43 200 000 (12 h). */
  absoluteTimeoutMs?: number;
  /** Where sessions live. Default: a new `MemorySessionStore`. */
  store?: SessionStore;
  /**
   * Most sessions one subject holds at once. A sign-in past it ends that subject's oldest
   * session(s), reason `replaced`, in the same store step. Default 10: a person's phone, laptop,
   * work machine, tablet and a few browser profiles, with room to spare — and one account (or
   * one attacker with one account) can hold at most 10 of the store's slots, so filling the
   * memory store's default 100 000 takes 10 000 distinct accounts, not one script.
   */
  maxSessionsPerSubject?: number;
  /** Base path of the protocol routes. Default `/session`. */
  basePath?: string;
  cookie?: SessionCookieOptions;
  /**
   * Origins allowed to POST, besides requests marked `Sec-Fetch-Site: same-origin`: pages of
   * another origin of this site (`Sec-Fetch-Site: same-site`, e.g. `https://app.example.com` for
   * an API at `api.example.com`; their requests also count as activity), and any origin when a
   * browser sends no Fetch Metadata. A request marked `cross-site` is refused even if listed.
   * Default: the origin of the request URL as the server sees it (with the scheme
   * `trustedProtoHeader` reports).
   */
  allowedOrigins?: readonly string[];
  /**
   * The header your TLS-terminating proxy sets to the scheme the browser used, e.g.
   * `'x-forwarded-proto'`. Only set it when every request passes that proxy and the proxy
   * overwrites the header: it decides `Secure`/`__Host-` (with `cookie.secure: 'auto'`) and the
   * default allowed origin. Default: none — forwarded headers are never trusted.
   */
  trustedProtoHeader?: string;
  /**
   * Besides the protocol's POST routes (always checked): refuse cross-site unsafe requests that
   * carry the session cookie on every route the middleware sees, and cross-site sign-ins (login
   * CSRF). Requests without the cookie, such as webhooks, pass. Default true.
   */
  csrf?: boolean;
  /**
   * Requests that must not count as activity (polling). Default: requests carrying the header
   * `Idle-Logout-Background: 1`. Whatever it says, only requests made on this site count
   * (docs/protocol.md), and the protocol routes never count.
   */
  isBackgroundRequest?: (c: Context) => boolean;
  /** Called exactly once per ended session, with why it ended. Errors are logged, never thrown. */
  onSessionEnd?: (ended: EndedSession<Data>) => unknown;
  /** How often ended sessions are collected (and `onSessionEnd` fired). Default 1000; 0 = never (call `sweepExpired()` yourself, e.g. from a cron on Workers). */
  sweepIntervalMs?: number;
  /** A store call slower than this counts as a failure (503). Default 2000. */
  storeTimeoutMs?: number;
  /** The clock, in epoch ms. Default `Date.now`. Inject one in tests. */
  now?: () => number;
  /** Where warnings and callback errors go. Default `console`. */
  logger?: Pick<Console, 'warn' | 'error'>;
}

export interface ResolvedOptions {
  idleTimeoutMs: number;
  warningMs: number;
  absoluteTimeoutMs: number;
  store: SessionStore;
  maxSessionsPerSubject: number;
  basePath: string;
  cookieName: string;
  cookieSecure: 'auto' | boolean;
  cookieSameSite: 'Lax' | 'Strict';
  cookieDomain: string | undefined;
  allowedOrigins: readonly string[] | undefined;
  trustedProtoHeader: string | undefined;
  csrf: boolean;
  isBackgroundRequest: (c: Context) => boolean;
  onSessionEnd: ((ended: EndedSession) => unknown) | undefined;
  sweepIntervalMs: number;
  storeTimeoutMs: number;
  now: () => number;
  logger: Pick<Console, 'warn' | 'error'>;
}

/** WCAG 2.2 SC 2.2.1 (Timing Adjustable): the user gets at least 20 s to extend. */
export const WCAG_MIN_WARNING_MS = 20_000;

const OWNER = 'idle-logout';

/** A duration option in whole milliseconds: at least 1, or at least 0 where 0 means "off". */
function durationMs(name: string, value: number, min: 0 | 1 = 1): number {
  return integerAtLeast(min, OWNER, name, value, ' number of milliseconds');
}

function isBackgroundByHeader(c: Context): boolean {
  return c.req.header(BACKGROUND_HEADER) === '1';
}

export function resolveOptions<Data>(options: IdleSessionOptions<Data> = {}): ResolvedOptions {
  const idleTimeoutMs = durationMs('idleTimeoutMs', options.idleTimeoutMs ?? 300_000);
  const warningMs = durationMs('warningMs', options.warningMs ?? 60_000, 0);
  const absoluteTimeoutMs = durationMs('absoluteTimeoutMs', options.absoluteTimeoutMs ?? 43_200_000);
  check(warningMs < idleTimeoutMs, OWNER, `warningMs (${warningMs}) must be shorter than idleTimeoutMs (${idleTimeoutMs})`);
  check(absoluteTimeoutMs >= idleTimeoutMs, OWNER, `absoluteTimeoutMs (${absoluteTimeoutMs}) must be at least idleTimeoutMs (${idleTimeoutMs})`);
  const basePath = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '');
  check(basePath.startsWith('/'), OWNER, `basePath must start with "/", got ${JSON.stringify(options.basePath)}`);
  const cookieName = options.cookie?.name ?? 'idle_session';
  check(
    /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName) && !cookieName.startsWith('__'),
    OWNER,
    `cookie.name must be a plain cookie token without a "__" prefix (it is added on https), got ${JSON.stringify(cookieName)}`,
  );
  const cookieDomain = options.cookie?.domain;
  check(
    cookieDomain === undefined || /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(cookieDomain),
    OWNER,
    `cookie.domain must be a lowercase host name with at least one dot and no scheme, port or leading dot, like "example.com", got ${JSON.stringify(cookieDomain)}`,
  );
  for (const origin of options.allowedOrigins ?? []) {
    check(
      URL.canParse(origin) && new URL(origin).origin === origin,
      OWNER,
      `allowedOrigins entries must be origins like "https://app.example.com" (no path or trailing slash), got ${JSON.stringify(origin)}`,
    );
  }
  const trustedProtoHeader = options.trustedProtoHeader?.toLowerCase();
  check(
    trustedProtoHeader === undefined || /^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(trustedProtoHeader),
    OWNER,
    `trustedProtoHeader must be a header name like "x-forwarded-proto", got ${JSON.stringify(options.trustedProtoHeader)}`,
  );
  const missing = options.store && SESSION_STORE_METHODS.filter((method) => typeof options.store![method] !== 'function');
  check(
    !missing?.length,
    OWNER,
    `store lacks ${missing?.join(', ')}: a SessionStore needs ${SESSION_STORE_METHODS.join(', ')} (per-user session control needs the last three; see server/store.ts and run server/testing/store-contract.ts against it)`,
  );
  const logger = options.logger ?? console;
  if (warningMs < WCAG_MIN_WARNING_MS) {
    logger.warn(`idle-logout: warningMs is ${warningMs} ms; WCAG 2.2 SC 2.2.1 asks for at least ${WCAG_MIN_WARNING_MS} ms to extend the session.`);
  }
  return {
    idleTimeoutMs,
    warningMs,
    absoluteTimeoutMs,
    store: options.store ?? new MemorySessionStore(),
    maxSessionsPerSubject: integerAtLeast(1, OWNER, 'maxSessionsPerSubject', options.maxSessionsPerSubject ?? 10),
    basePath,
    cookieName,
    cookieSecure: options.cookie?.secure ?? 'auto',
    cookieSameSite: options.cookie?.sameSite ?? 'Lax',
    cookieDomain,
    allowedOrigins: options.allowedOrigins,
    trustedProtoHeader,
    csrf: options.csrf ?? true,
    isBackgroundRequest: options.isBackgroundRequest ?? isBackgroundByHeader,
    // The store hands back what signIn/updateSession stored, which the types held to Data.
    onSessionEnd: options.onSessionEnd as ResolvedOptions['onSessionEnd'],
    sweepIntervalMs: durationMs('sweepIntervalMs', options.sweepIntervalMs ?? 1_000, 0),
    storeTimeoutMs: durationMs('storeTimeoutMs', options.storeTimeoutMs ?? 2_000),
    now: options.now ?? Date.now,
    logger,
  };
}
