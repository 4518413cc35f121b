// What an app configures, its defaults in one place, and the one check every option (and every
// data attribute of the script tag) goes through, so each mistake fails the same way: an
// `IdleLogoutOptionsError` whose message says what to change.
import { DEFAULT_ACTIVITY_EVENTS } from './activity.ts';
import type { SignedOutReason } from './core.ts';
import type { DialogStrings } from './strings.ts';

/** Options of the default warning dialog. */
export interface DialogOptions {
  /** BCP 47 tag for the built-in strings and plural rules ("en", "cy"). Default: the page's `lang`, else "en". */
  locale?: string;
  /** Replaces any built-in string. */
  strings?: Partial<DialogStrings>;
  /** false: no "Sign out" button (see `WarningDialogOptions.signOutButton`). Default true. */
  signOutButton?: boolean;
}

/** What an app configures. What the SDK takes from the browser is `IdleLogoutHost` (host.ts). */
export interface IdleLogoutOptions {
  /** Base path of the protocol routes, or their URL on another origin ('https://api.example.com/session'). Default '/session'. */
  endpoint?: string;
  /** fetch's `credentials`: 'include' when `endpoint` is another origin of the site (an API host). Default 'same-origin'. */
  credentials?: RequestCredentials;
  /** Where to send the user after sign-out; `?reason=idle|user|server` is added. Default: none. */
  signedOutUrl?: string;
  /**
   * Where to send the user after a timeout instead (reason `idle`: inactivity or the absolute
   * lifetime), as HMRC's `timeoutUrl`; `signedOutUrl` stays for sign-outs by the user or the
   * server. `?reason=idle` is added. Default: `signedOutUrl`.
   */
  timeoutUrl?: string;
  /**
   * Runs in every tab once signed out (before navigating to `signedOutUrl`). If the logout request
   * fails (offline, 503), the tab that sent it retries it with backoff for as long as the page lives.
   */
  onSignedOut?: (reason: SignedOutReason) => void;
  /** Runs in every tab before it signs out (and, in the tab that signs out, before the logout request), to save work; bounded by `beforeSignOutTimeoutMs`. */
  beforeSignOut?: (reason: SignedOutReason) => void | Promise<void>;
  /** The longest `beforeSignOut` may hold up the sign-out. Default 2000. */
  beforeSignOutTimeoutMs?: number;
  /** The default warning dialog, or false to build your own UI from the events. Default: shown. */
  dialog?: false | DialogOptions;
  /** Show the countdown in `document.title` during the warning. Default true. */
  countdownInTitle?: boolean;
  /** DOM events that count as activity. Default pointerdown, pointermove, keydown, wheel, touchstart, scroll. */
  activityEvents?: readonly string[];
  /**
   * Origins of cross-origin iframes whose user's input counts: such a frame posts
   * `'idle-logout:activity'` to this page (`parent.postMessage('idle-logout:activity', pageOrigin)`).
   * Same-origin iframes need nothing: their input counts anyway. Default none.
   */
  activityOrigins?: readonly string[];
  /** At most one activity report per this many ms per tab. Default 500. */
  activityThrottleMs?: number;
  /** Whether input alone closes an open warning (as "stay signed in"). Default false. */
  activityDismissesWarning?: boolean;
  /**
   * A session ended elsewhere (another browser, the app, the per-user limit) signs out the open
   * tabs within this many ms while one is visible (`?reason=revoked`): one `GET {endpoint}` per
   * interval for the origin, which never extends the session; 0 turns it off. Default 60000.
   */
  revocationCheckMs?: number;
  /** Name of the BroadcastChannel, the leader lock and the stored record. Default 'idle-logout'. */
  channelName?: string;
}

/** The options with their defaults; the callbacks and URLs stay optional. */
export type ResolvedOptions = Required<Omit<IdleLogoutOptions, 'signedOutUrl' | 'timeoutUrl' | 'onSignedOut' | 'beforeSignOut' | 'credentials'>> &
  Pick<IdleLogoutOptions, 'signedOutUrl' | 'timeoutUrl' | 'onSignedOut' | 'beforeSignOut' | 'credentials'>;

/**
 * An option or a data attribute the SDK cannot use; the message names it and says what to give.
 *
 * @example
 * try { startIdleLogout({ activityThrottleMs: -1 }) } catch (error) { if (error instanceof IdleLogoutOptionsError) … }
 */
export class IdleLogoutOptionsError extends TypeError {
  override name = 'IdleLogoutOptionsError';
}

/** The one check: throws `IdleLogoutOptionsError` with `fix` (what to change) unless `ok`. */
export function check(ok: boolean, fix: string): void {
  if (!ok) throw new IdleLogoutOptionsError(`idle-logout: ${fix}`);
}

/** Every option's default; the callbacks and URLs have none. */
const DEFAULTS = {
  endpoint: '/session',
  beforeSignOutTimeoutMs: 2_000,
  dialog: {},
  countdownInTitle: true,
  activityEvents: DEFAULT_ACTIVITY_EVENTS,
  activityThrottleMs: 500,
  activityOrigins: [],
  activityDismissesWarning: false,
  revocationCheckMs: 60_000,
  channelName: 'idle-logout',
} satisfies Omit<ResolvedOptions, 'signedOutUrl' | 'timeoutUrl' | 'onSignedOut' | 'beforeSignOut' | 'credentials'>;

/**
 * Defaults in one place, with messages that say what to change. Reads only the options' own names:
 * `startIdleLogout` passes the host's parts in the same object.
 *
 * @example
 * resolveOptions({ endpoint: '/api/session' }).revocationCheckMs; // 60000
 */
export function resolveOptions(options: IdleLogoutOptions): ResolvedOptions {
  const resolved: Record<string, unknown> = {};
  for (const key of [...Object.keys(DEFAULTS), 'signedOutUrl', 'timeoutUrl', 'onSignedOut', 'beforeSignOut', 'credentials']) {
    resolved[key] = options[key as keyof IdleLogoutOptions] ?? DEFAULTS[key as keyof typeof DEFAULTS];
  }
  const { endpoint } = resolved;
  check(typeof endpoint === 'string' && endpoint !== '', '`endpoint` must be a path such as "/session" or a URL.');
  for (const name of ['beforeSignOutTimeoutMs', 'activityThrottleMs', 'revocationCheckMs']) {
    const value = resolved[name] as number;
    check(Number.isFinite(value) && value >= 0, `\`${name}\` must be a finite number of ms ≥ 0, got ${value}.`);
  }
  return resolved as ResolvedOptions;
}
