// Carrying out the core's decisions: each effect goes to the shell that can do it, and what comes
// back (a record, an answer, a finished hook) goes to the core as an event. No rule lives here.
import type { CoreEvent, Effect, SignedOutReason } from './core.ts';
import type { Emit } from './events.ts';
import type { ResolvedHost } from './host.ts';
import type { ResolvedOptions } from './options.ts';
import type { PageShell } from './page.ts';
import type { LocalView } from './shared-state.ts';
import type { TabSync } from './tab-sync.ts';

/** The shells of one running instance, built and wired by `createIdleLogout` (start.ts). */
export interface Shells {
  options: ResolvedOptions;
  host: ResolvedHost;
  storage: LocalView;
  sync: TabSync;
  page: PageShell;
  emit: Emit;
  /** Hands an event to the core. `fresh`: a record read or written after a restore from the back/forward cache. */
  dispatch(event: CoreEvent, fresh?: boolean): void;
  /** At sign-out: drops the listeners, the channel and the wake-ups; the scheduler stays for a logout retry. */
  teardown(): void;
  stopped(): boolean;
}

/**
 * Does what `effect` asks, with the shells; answers reach the core through `shells.dispatch`.
 *
 * @example
 * for (const effect of step(state, event, now).effects) carryOut(effect, shells);
 */
export function carryOut(effect: Effect, shells: Shells): void {
  const { emit, page } = shells;
  switch (effect.type) {
    case 'read':
      return readRecord(shells);
    case 'write':
      return writePatch(effect.patch, shells);
    case 'request':
      return sendRequest(effect, shells);
    case 'run-hook':
      return runHook(effect.reason, shells);
    case 'phase':
      if (effect.phase === 'warning') emit('warning', { remainingMs: effect.remainingMs });
      else if (effect.phase === 'active') {
        page.closeWarning();
        if (effect.stayed) emit('stay', { remainingMs: effect.remainingMs });
        emit('active', { remainingMs: effect.remainingMs });
      } else if (effect.phase === 'signed-out') signOut(effect.reason ?? 'idle', shells);
      return;
    case 'countdown':
      // Every warning phase change is followed by a countdown: it opens the dialog too.
      page.showCountdown(effect.remainingMs, effect.notice);
      if (effect.visible) emit('tick', { remainingMs: effect.remainingMs });
      return;
    case 'extended':
      return emit('keepalive', { remainingMs: effect.remainingMs });
    case 'reachable':
      return emit(effect.reachable ? 'reachable' : 'unreachable', {});
    case 'error': {
      const { status, error, message } = effect;
      console.error(refusalAdvice(effect, shells));
      return emit('error', { status, error, message });
    }
  }
}

/** Reads the shared record and hands it to the core. */
export function readRecord(shells: Shells): void {
  // Taken now: a read begun before the page went into the cache answers with what was true then.
  const fresh = shells.page.awaitingFreshRecord();
  shells.storage.read().then((record) => shells.dispatch({ type: 'record-read', record }, fresh), reportError);
}

function writePatch(patch: Extract<Effect, { type: 'write' }>['patch'], shells: Shells): void {
  const fresh = shells.page.awaitingFreshRecord();
  shells.storage.write(patch).then(({ record, applied }) => {
    // Tell the other tabs before this tab acts on it: a sign-out tears this tab down.
    if (applied && !shells.stopped()) shells.sync.notify(patch);
    shells.dispatch({ type: 'record-written', record, kind: patch.kind, applied }, fresh);
  }, reportError);
}

function sendRequest(effect: Extract<Effect, { type: 'request' }>, { host, dispatch }: Shells): void {
  const requestedAt = host.now();
  const { kind } = effect;
  // The transport's method of the same name; only keepalive's effect has idleMs (the others take nothing).
  host.transport[kind]((effect as { idleMs?: number }).idleMs ?? 0).then((result) => dispatch({ type: 'response', kind, requestedAt, result }), reportError);
}

/** Runs the app's `beforeSignOut`, for at most `beforeSignOutTimeoutMs`. */
function runHook(reason: SignedOutReason, { options, host: { timers }, dispatch }: Shells): void {
  let timer: unknown;
  void Promise.race([
    Promise.resolve()
      .then(() => options.beforeSignOut?.(reason))
      .catch(reportError),
    new Promise<void>((timedOut) => (timer = timers.setTimeout(timedOut, options.beforeSignOutTimeoutMs))),
  ]).then(() => {
    timers.clearTimeout(timer);
    dispatch({ type: 'hook-done' });
  });
}

/** This tab shows "signed out": nothing is left to do in it but tell the app and leave. */
function signOut(reason: SignedOutReason, { page, teardown, emit, options }: Shells): void {
  const leave = page.showSignedOut(reason);
  // Drop listeners, timers and the channel, keep the phase.
  teardown();
  emit('signed-out', { reason });
  try {
    options.onSignedOut?.(reason);
  } catch (error) {
    reportError(error);
  }
  leave();
}

/** What to check when the server refuses a request (4xx other than 401): a message that says what to change. */
function refusalAdvice({ kind, status, error, message }: Extract<Effect, { type: 'error' }>, { options, host }: Shells): string {
  const check =
    status === 403
      ? `that the server's allowedOrigins has this page's origin (${host.window.location.origin}) and a proxy passes Host`
      : status === 404 || status === 405
        ? `endpoint "${options.endpoint}" against the server's basePath`
        : 'that client and server versions match (docs/protocol.md)';
  return `idle-logout: the server refused ${kind} with ${status}${error ? ` ${error}` : ''}${message ? ` "${message}"` : ''}; check ${check}. Retrying slowly.`;
}

/** Errors of app callbacks and of storage must not stop the SDK; report them like uncaught ones. */
export function reportError(error: unknown): void {
  (globalThis.reportError ?? console.error)(error); // (neither needs a `this`)
}
