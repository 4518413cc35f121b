// Wires the shells to the core: events in, effects out. It holds no rules of its own — every
// decision is `step()` in core.ts — only the translation to DOM, timers, storage, channel and fetch.
import { initialState, phaseAt, remainingMsAt, step, type CoreEvent, type CoreState, type Effect, type Phase, type SignedOutReason } from './core.ts';
import { listenForActivity, DEFAULT_ACTIVITY_EVENTS } from './activity.ts';
import { createWarningDialog, type WarningDialog } from './dialog.ts';
import { createHoldKeeper, isRelease } from './hold.ts';
import { createScheduler, listenForSuspend, listenForWakeUps } from './scheduler.ts';
import { idbSharedStore, memorySharedStore, withLocalView, type SharedStore } from './shared-state.ts';
import { countdownTitle, type DialogStrings } from './strings.ts';
import { browserTabSync, type TabSync, type TabSyncFactory } from './tab-sync.ts';
import { hostTimers, type Timers } from './timers.ts';
import { fetchTransport, type Transport } from './transport.ts';

export type { Phase, SignedOutReason };

/** Options of the default warning dialog. */
export interface DialogOptions {
  /** BCP 47 tag for the built-in strings and plural rules ("en", "cy"). Default: the page's `lang`, else "en". */
  locale?: string;
  /** Replaces any built-in string. */
  strings?: Partial<DialogStrings>;
  /** false: no "Sign out" button (see `WarningDialogOptions.signOutButton`). Default true. */
  signOutButton?: boolean;
}

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

  // Injectables, for tests and unusual hosts.
  window?: Window;
  document?: Document;
  now?: () => number;
  fetch?: typeof fetch;
  transport?: Transport;
  storage?: SharedStore;
  tabSync?: TabSyncFactory;
  timers?: Timers;
  /** How to go to the signed-out URL. Default `location.assign`. */
  navigate?: (url: string) => void;
}

export interface IdleLogoutEvents {
  /** The warning started in this tab. */
  warning: { remainingMs: number };
  /** Once a second while the warning shows and the page is visible. */
  tick: { remainingMs: number };
  /** Someone (in any tab) chose to stay signed in; the warning closed. */
  stay: { remainingMs: number };
  /** The session is active (after start, or after a warning closed). */
  active: { remainingMs: number };
  'signed-out': { reason: SignedOutReason };
  /** This tab sent a keepalive and the server extended the session. */
  keepalive: { remainingMs: number };
  /** The server cannot be reached (network error, 503); retrying with backoff. */
  unreachable: Record<string, never>;
  /** The server answers again. */
  reachable: Record<string, never>;
  /**
   * The server refused a request with a 4xx other than 401 — a configuration error, such as 403
   * `csrf` when this page's origin is not in the server's `allowedOrigins`. `error` and `message`
   * are the JSON body's. Reported once (and logged with console.error) until a request succeeds
   * again; retried slowly meanwhile. It never signs the user out: the deadline still does.
   */
  error: { status: number; error?: string; message?: string };
}

export type IdleLogoutEvent = keyof IdleLogoutEvents;

export interface IdleLogoutHandle {
  /** Removes every listener, timer, channel and the dialog, and closes this tab's IndexedDB connection. */
  stop(): void;
  /** As the "Stay signed in" button: sends a keepalive now; the warning closes in every tab once the server extends the session (retried while unreachable). */
  staySignedIn(): void;
  /** Signs out in every tab now (reason 'user'). */
  signOut(): void;
  /** Time left until the shared deadline; null until known, and after `stop()`. */
  getRemainingMs(): number | null;
  /** What this tab shows; `'stopped'` after `stop()`, when it no longer follows the session. */
  getPhase(): Phase | 'stopped';
  /**
   * Keeps the session alive while held — an upload, a video call, a kiosk — as continuous input in
   * every tab would, up to the absolute lifetime; returns the release (idempotent), after which the
   * idle timeout counts from the release. A hold ends by itself within 3 minutes if this tab closes,
   * is frozen or navigates away (it is a lease this tab renews: hold.ts).
   *
   * @example
   * const release = idle.hold('upload');
   * try { await upload(file); } finally { release(); }
   */
  hold(reason?: string): () => void;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends IdleLogoutEvent>(event: E, listener: (detail: IdleLogoutEvents[E]) => void): () => void;
}

/**
 * The handle of the latest `startIdleLogout()` until it is stopped. The script-tag entry re-exports
 * it as `IdleLogout.handle`; being a reassigned `let`, the IIFE build exposes it as a getter.
 */
export let currentHandle: IdleLogoutHandle | undefined;

/**
 * Starts idle logout in this tab. A second call stops the first handle and returns a new one.
 *
 * @example
 * import { startIdleLogout } from 'idle-logout/client';
 * const idle = startIdleLogout({ endpoint: '/session', signedOutUrl: '/signed-out' });
 * idle.on('warning', ({ remainingMs }) => console.log(`signing out in ${remainingMs} ms`));
 */
export function startIdleLogout(options: IdleLogoutOptions = {}): IdleLogoutHandle {
  currentHandle?.stop();
  const handle = createIdleLogout(options);
  currentHandle = handle;
  return handle;
}

type Resolved = Required<Omit<IdleLogoutOptions, 'signedOutUrl' | 'timeoutUrl' | 'onSignedOut' | 'beforeSignOut' | 'fetch' | 'credentials' | 'transport'>> &
  Pick<IdleLogoutOptions, 'signedOutUrl' | 'timeoutUrl' | 'onSignedOut' | 'beforeSignOut'> & { transport: Transport };

/** Defaults in one place, with messages that say what to change. */
function resolveOptions(options: IdleLogoutOptions): Resolved {
  const win = options.window ?? (typeof window === 'undefined' ? undefined : window);
  if (!win) throw new TypeError('idle-logout: startIdleLogout() needs a browser window; call it on the client, not during server-side rendering.');
  const doc = options.document ?? win.document;
  const endpoint = options.endpoint ?? '/session';
  if (typeof endpoint !== 'string' || !endpoint) throw new TypeError('idle-logout: `endpoint` must be a path such as "/session" or a URL.');
  const channelName = options.channelName ?? 'idle-logout';
  const number = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`idle-logout: \`${name}\` must be a finite number of ms ≥ 0, got ${value}.`);
    return value;
  };
  const fetchImpl = options.fetch ?? win.fetch.bind(win);
  return {
    endpoint,
    signedOutUrl: options.signedOutUrl,
    timeoutUrl: options.timeoutUrl,
    onSignedOut: options.onSignedOut,
    beforeSignOut: options.beforeSignOut,
    beforeSignOutTimeoutMs: number('beforeSignOutTimeoutMs', options.beforeSignOutTimeoutMs, 2_000),
    dialog: options.dialog ?? {},
    countdownInTitle: options.countdownInTitle ?? true,
    activityEvents: options.activityEvents ?? DEFAULT_ACTIVITY_EVENTS,
    activityThrottleMs: number('activityThrottleMs', options.activityThrottleMs, 500),
    activityOrigins: options.activityOrigins ?? [],
    activityDismissesWarning: options.activityDismissesWarning ?? false,
    revocationCheckMs: number('revocationCheckMs', options.revocationCheckMs, 60_000),
    channelName,
    window: win,
    document: doc,
    now: options.now ?? Date.now,
    transport: options.transport ?? fetchTransport(endpoint, fetchImpl, options.credentials),
    // IndexedDB can be missing (some embedded browsers): one tab then keeps its state in memory.
    storage: options.storage ?? ('indexedDB' in win && win.indexedDB ? idbSharedStore(channelName) : memorySharedStore()),
    tabSync: options.tabSync ?? browserTabSync(win),
    timers: options.timers ?? hostTimers,
    navigate: options.navigate ?? ((url) => win.location.assign(url)),
  };
}

/** Input this long after the last read of the shared record also re-reads it (the "next input" check). */
const REREAD_ON_INPUT_AFTER_MS = 5_000;

/** Starts one instance without replacing another (tests run several simulated tabs in one realm). */
export function createIdleLogout(options: IdleLogoutOptions): IdleLogoutHandle {
  const o = resolveOptions(options);
  const { document: doc, now, transport, window: win } = o;
  // performance.now() lets the core notice the wall clock jumping; with an injected clock (tests)
  // there is nothing to compare with.
  const monoNow = options.now ? () => NaN : () => performance.now();
  // No wait on the shared store is unbounded: a frozen tab elsewhere may hold it (shared-state.ts).
  const storage = withLocalView(o.storage, { timers: o.timers, onFailure: reportError, onCaughtUp: () => read() });
  const listeners = new Map<IdleLogoutEvent, Set<(detail: never) => void>>();
  let state: CoreState = initialState({
    activityDismissesWarning: o.activityDismissesWarning,
    hasBeforeSignOut: !!o.beforeSignOut,
    revocationCheckMs: o.revocationCheckMs,
  });
  let stopped = false;
  let dialog: WarningDialog | undefined;
  /** The page's own title, to restore after the warning, and the countdown title we last wrote. */
  let titleBeforeWarning: string | null = null;
  let titleWritten: string | null = null;
  /** Signed out while offline: navigates once back online; removed by stop(). */
  let navigateWhenOnline: (() => void) | undefined;
  let lastReadAt = 0;
  let tornDown = false;
  /** 0: shown; 1: hidden for the back/forward cache; 2: restored, hidden until a fresh record says live. */
  let concealed = 0;

  const emit = <E extends IdleLogoutEvent>(event: E, detail: IdleLogoutEvents[E]): void => {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        (listener as (d: IdleLogoutEvents[E]) => void)(detail);
      } catch (error) {
        reportError(error);
      }
    }
  };

  /** `fresh`: a record read or written after a restore from the back/forward cache (see onPageShow). */
  const dispatch = (event: CoreEvent, fresh?: boolean): void => {
    if (stopped) return;
    const result = step(state, event, now(), monoNow());
    state = result.state;
    if (fresh && /^(active|warning)$/.test(phaseAt(state, now()))) conceal(0);
    // Also after the sign-out tore this tab down: the core may still wake it to retry a failed logout.
    scheduler.wakeAt(result.wakeAt);
    for (const effect of result.effects) carryOut(effect);
  };

  const read = (): void => {
    lastReadAt = now();
    // Taken now: a read begun before the page went into the cache answers with what was true then.
    const fresh = concealed > 1;
    storage.read().then(
      (record) => dispatch({ type: 'shared', record }, fresh),
      reportError,
    );
  };

  const carryOut = (effect: Effect): void => {
    switch (effect.type) {
      case 'read':
        return read();
      case 'write': {
        const fresh = concealed > 1;
        storage.write(effect.patch).then(({ record, applied }) => {
          // Tell the other tabs before this tab acts on it: a sign-out tears this tab down.
          if (applied && !stopped) sync.notify(effect.patch);
          dispatch({ type: 'shared', record, written: { kind: effect.patch.kind, applied } }, fresh);
        }, reportError);
        return;
      }
      case 'request': {
        const requestedAt = now();
        const request =
          effect.kind === 'status' ? transport.status() : effect.kind === 'keepalive' ? transport.keepalive(effect.idleMs) : transport.logout();
        request.then((result) => dispatch({ type: 'response', kind: effect.kind, requestedAt, result }), reportError);
        return;
      }
      case 'run-hook': {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          o.timers.clearTimeout(timer);
          dispatch({ type: 'hook-done' });
        };
        const timer = o.timers.setTimeout(finish, o.beforeSignOutTimeoutMs);
        Promise.resolve()
          .then(() => o.beforeSignOut?.(effect.reason))
          .catch(reportError)
          .finally(finish);
        return;
      }
      case 'phase':
        return showPhase(effect);
      case 'countdown':
        // Every warning phase change is followed by a countdown: it opens the dialog too.
        openDialog()?.show(effect.remainingMs, effect.notice);
        if (o.countdownInTitle) {
          // A title that is not the one we wrote is the app's own, set meanwhile: restore that one.
          if (doc.title !== titleWritten) titleBeforeWarning = doc.title;
          doc.title = countdownTitle(effect.remainingMs, dialogLocale(), dialogStrings());
          titleWritten = doc.title;
        }
        if (effect.visible) emit('tick', { remainingMs: effect.remainingMs });
        return;
      case 'keepalive-sent':
        return emit('keepalive', { remainingMs: effect.remainingMs });
      case 'reachable':
        return effect.reachable ? emit('reachable', {}) : emit('unreachable', {});
      case 'error': {
        const { status, error, message } = effect;
        console.error(`idle-logout: ${refusalAdvice(effect, o.endpoint, o.window.location.origin)}`);
        return emit('error', { status, error, message });
      }
    }
  };

  const dialogLocale = (): string => (o.dialog && o.dialog.locale) || doc.documentElement.lang || 'en';
  const dialogStrings = (): Partial<DialogStrings> | undefined => (o.dialog ? o.dialog.strings : undefined);

  const openDialog = (): WarningDialog | undefined =>
    o.dialog
      ? (dialog ??= createWarningDialog({
          document: doc,
          locale: dialogLocale(),
          strings: o.dialog.strings,
          signOutButton: o.dialog.signOutButton,
          onStay: () => handle.staySignedIn(),
          onSignOut: () => handle.signOut(),
        }))
      : undefined;

  const closeWarning = (): void => {
    dialog?.hide();
    // Only if the title is still ours: an app that set its own title after the last tick keeps it.
    if (titleBeforeWarning !== null && doc.title === titleWritten) doc.title = titleBeforeWarning;
    titleBeforeWarning = titleWritten = null;
  };

  const showPhase = (effect: Extract<Effect, { type: 'phase' }>): void => {
    const { remainingMs } = effect;
    if (effect.phase === 'warning') {
      emit('warning', { remainingMs });
    } else if (effect.phase === 'active') {
      closeWarning();
      if (effect.stayed) emit('stay', { remainingMs });
      emit('active', { remainingMs });
    } else if (effect.phase === 'signed-out') {
      const reason = effect.reason ?? 'idle';
      const href = signedOutHref(reason);
      // Offline, navigating would show the browser's network-error page (and lose the page): say
      // "signed out" here instead, and go once the browser is back online.
      const offline = href && !o.window.navigator.onLine;
      closeWarning();
      // (Re-)opened, so screen readers announce it with its new name.
      if (offline) openDialog()?.show(0, 'signed-out');
      // Nothing is left to do in this tab: drop listeners, timers and the channel, keep the phase.
      teardown();
      emit('signed-out', { reason });
      try {
        o.onSignedOut?.(reason);
      } catch (error) {
        reportError(error);
      }
      if (href) {
        navigateWhenOnline = () => o.navigate(href);
        if (offline) o.window.addEventListener('online', navigateWhenOnline, { once: true });
        else navigateWhenOnline();
      }
    }
  };

  /** Where this sign-out leads, with its reason; undefined: nowhere, the page stays. */
  const signedOutHref = (reason: SignedOutReason): string | undefined => {
    const target = (reason === 'idle' && o.timeoutUrl) || o.signedOutUrl;
    if (!target) return undefined;
    const url = new URL(target, doc.baseURI);
    url.searchParams.set('reason', reason);
    return url.href;
  };

  // The back/forward cache keeps a page as it was and shows it again on Back with no request,
  // unless it was sent `Cache-Control: no-store` — after a sign-out too, here or in another tab
  // while the page sat in the cache. So a page going into the cache hides its content, and a
  // restored one shows it again only once a fresh read of the shared record says the session is
  // live (in `dispatch`); a page this tab saw signed out is replaced at once (replace, not assign:
  // Back must not lead to it again). pagehide/pageshow, never unload, so live pages stay eligible
  // for the cache. Unlike the wake-ups, these stay after the sign-out, until stop().
  const conceal = (to: number): void => {
    concealed = to;
    // visibility, not display: the layout (and the scroll position Back restores) stays as it was.
    doc.documentElement.style.visibility = to ? 'hidden' : '';
  };
  const onPageHide = (event: Event): void => {
    if ((event as PageTransitionEvent).persisted) conceal(1);
    else holds.leave(); // the page goes for good: release now if the write still lands, else the lease runs out
  };
  const onPageShow = (event: Event): void => {
    if (!(event as PageTransitionEvent).persisted) return;
    if (!tornDown) {
      conceal(2);
      return read();
    }
    const href = signedOutHref(state.record?.signedOutReason ?? 'idle');
    if (href) win.location.replace(href);
    else win.location.reload();
  };
  win.addEventListener('pagehide', onPageHide);
  win.addEventListener('pageshow', onPageShow);
  // Back to a page the cache did not keep loads it from the HTTP cache, also with no request
  // (history navigations take stale entries; only no-store stops it): hidden the same way.
  if ((win.performance?.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.type === 'back_forward') conceal(2);

  // This tab's lease in the shared record, written as every core write is (and told to the other tabs).
  const holds = createHoldKeeper({
    tab: Math.random().toString(36).slice(2),
    now,
    timers: o.timers,
    write: (patch, announce) => {
      if (announce) sync.notify(patch);
      carryOut({ type: 'write', patch });
    },
  });
  const scheduler = createScheduler({ now, timers: o.timers, onWake: read });
  const stopActivity = listenForActivity({
    target: o.window,
    eventNames: o.activityEvents,
    throttleMs: o.activityThrottleMs,
    frameOrigins: o.activityOrigins,
    now,
    timers: o.timers,
    onActivity: (at) => {
      dispatch({ type: 'activity', at });
      if (now() - lastReadAt >= REREAD_ON_INPUT_AFTER_MS) read();
    },
  });
  const stopWakeUps = listenForWakeUps(o.window, doc, (type) => {
    if (type === 'visibilitychange') dispatch({ type: 'visibility', visible: doc.visibilityState !== 'hidden' });
    read();
  });
  const sync: TabSync = o.tabSync(o.channelName, {
    onNotify: (patch) => {
      // A release from a tab going away may never land by itself: write it too (hold.ts).
      if (isRelease(patch)) carryOut({ type: 'write', patch });
      // The patch is in the store already; applying it to this tab's view needs no store read.
      if (patch) dispatch({ type: 'shared', record: storage.learn(patch) });
      read();
    },
    onLeadership: (isLeader) => dispatch({ type: 'leader', isLeader }),
  });

  // At sign-out: nothing is left to show; the scheduler stays for a logout retry until stop().
  const teardown = (): void => {
    if (tornDown) return;
    tornDown = true;
    stopActivity();
    stopWakeUps();
    stopSuspend();
    holds.stop();
    sync.close();
  };
  // A frozen page finishes nothing until it runs again, yet Chromium still hands it BroadcastChannel
  // messages: so it lets go of channel, leader lock and database first, and starts nothing
  // (shared-state.ts, tab-sync.ts).
  const stopSuspend = listenForSuspend(o.window, doc, (suspended) => {
    for (const part of [sync, storage, holds]) suspended ? part.suspend?.() : part.resume?.();
  });

  const handle: IdleLogoutHandle = {
    stop() {
      if (stopped) return;
      closeWarning();
      stopped = true;
      if (navigateWhenOnline) o.window.removeEventListener('online', navigateWhenOnline);
      teardown();
      win.removeEventListener('pagehide', onPageHide);
      win.removeEventListener('pageshow', onPageShow);
      if (concealed) conceal(0);
      scheduler.stop();
      storage.suspend(); // closes the IndexedDB connection: `deleteDatabase` is not blocked
      dialog = undefined;
      listeners.clear();
      if (currentHandle === handle) currentHandle = undefined;
    },
    staySignedIn: () => dispatch({ type: 'stay' }),
    signOut: () => dispatch({ type: 'sign-out' }),
    getRemainingMs: () => (stopped ? null : remainingMsAt(state, now())),
    getPhase: () => (stopped ? 'stopped' : state.shownPhase),
    hold: holds.hold,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (detail: never) => void);
      return () => set.delete(listener as (detail: never) => void);
    },
  };

  dispatch({ type: 'start', visible: doc.visibilityState !== 'hidden' });
  return handle;
}

/** What to check when the server refuses a request (4xx other than 401): a message that says what to change. */
function refusalAdvice(refusal: { kind: string; status: number; error?: string; message?: string }, endpoint: string, pageOrigin: string): string {
  const { kind, status, error, message } = refusal;
  const check =
    status === 403
      ? `that the server's allowedOrigins has this page's origin (${pageOrigin}), or that a proxy passes the browser's Host`
      : status === 404 || status === 405
        ? `the endpoint option ("${endpoint}") against the server's basePath`
        : 'that client and server speak the same protocol (docs/protocol.md)';
  return `the server refused ${kind} with ${status}${error ? ` ${error}` : ''}${message ? ` "${message}"` : ''}. Check ${check}. Retrying slowly.`;
}

/** Errors of app callbacks and of storage must not stop the SDK; report them like uncaught ones. */
function reportError(error: unknown): void {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}
