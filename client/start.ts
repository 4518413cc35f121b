// The composition root: builds one shell per outside thing, then wires them to the core — events
// in (`dispatch`), effects out (`carryOut`, effects.ts). Every decision is `step()` in core.ts;
// what an app configures is options.ts, what the browser provides host.ts.
import { listenForActivity } from './activity.ts';
import { initialState, phaseAt, remainingMsAt, step, type CoreEvent, type CoreState, type Phase, type SignedOutReason } from './core.ts';
import { carryOut, readRecord, reportError, type Shells } from './effects.ts';
import { createEmitter, type IdleLogoutEvent, type IdleLogoutEvents } from './events.ts';
import { createExternalStore, type IdleLogoutSnapshot } from './external-store.ts';
import { createHoldKeeper, isRelease } from './hold.ts';
import { resolveHost, type IdleLogoutHost } from './host.ts';
import { resolveOptions, type IdleLogoutOptions } from './options.ts';
import { createPageShell } from './page.ts';
import { createScheduler, listenForSuspend, listenForWakeUps } from './scheduler.ts';
import { withLocalView } from './shared-state.ts';

export type { Phase, SignedOutReason };
export type { DialogOptions, IdleLogoutOptions } from './options.ts';
export type { IdleLogoutEvent, IdleLogoutEvents } from './events.ts';
export type { IdleLogoutHost } from './host.ts';

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
  /** Calls `listener` after each change of `getSnapshot()`; returns the unsubscribe function (for `useSyncExternalStore`, Vue, Svelte, Solid). */
  subscribe(listener: () => void): () => void;
  /** Phase, remaining time (as the countdown shows it), reachability, sign-out reason: the same object until one changes. */
  getSnapshot(): IdleLogoutSnapshot;
}

/**
 * The handle of the latest `startIdleLogout()` until it is stopped. The script-tag entry re-exports
 * it as `IdleLogout.handle`; being a reassigned `let`, the IIFE build exposes it as a getter.
 */
export let currentHandle: IdleLogoutHandle | undefined;

/**
 * Starts idle logout in this tab. A second call stops the first handle and returns a new one.
 * The host's parts (`IdleLogoutHost`: window, fetch, storage …) are given among the options: the
 * options and the host each read only their own names.
 *
 * @example
 * import { startIdleLogout } from 'idle-logout/client';
 * const idle = startIdleLogout({ endpoint: '/session', signedOutUrl: '/signed-out' });
 * idle.on('warning', ({ remainingMs }) => console.log(`signing out in ${remainingMs} ms`));
 */
export function startIdleLogout(options: IdleLogoutOptions & IdleLogoutHost = {}): IdleLogoutHandle {
  currentHandle?.stop();
  const handle = createIdleLogout(options, options);
  currentHandle = handle;
  return handle;
}

/**
 * Starts one instance without replacing another (tests run several simulated tabs in one realm).
 *
 * @example
 * const tab = createIdleLogout({ signedOutUrl: '/signed-out' }, { window: simulatedWindow, now: () => clock.now });
 */
export function createIdleLogout(options: IdleLogoutOptions, host: IdleLogoutHost = {}): IdleLogoutHandle {
  const o = resolveOptions(options);
  const h = resolveHost(host, o);
  const { window: win, document: doc, now } = h;
  const events = createEmitter(reportError);
  // The core reads activityDismissesWarning and revocationCheckMs of the options.
  let state: CoreState = initialState({ ...o, hasBeforeSignOut: !!o.beforeSignOut });
  let stopped = false;
  let tornDown = false;
  /** Set once every shell is built (3.); no event can arrive before: they all come asynchronously. */
  let shells: Shells | undefined;

  // 1. The timer and the store, then the core's inbox, which arms the one and reads the other.
  const read = (): void => {
    if (shells) readRecord(shells);
  };
  const scheduler = createScheduler({ ...h, onWake: read }); // the host's now and timers
  // No wait on the shared store is unbounded: a frozen tab elsewhere may hold it (shared-state.ts).
  const storage = withLocalView(h.storage, { timers: h.timers, onFailure: reportError, onCaughtUp: read });
  const dispatch = (event: CoreEvent, fresh?: boolean): void => {
    if (stopped || !shells) return;
    const result = step(state, event, now(), h.monoNow());
    state = result.state;
    if (fresh && /^(active|warning)$/.test(phaseAt(state, now()))) shells.page.reveal();
    // Also after the sign-out tore this tab down: the core may still wake it to retry a failed logout.
    scheduler.wakeAt(result.wakeAt);
    for (const effect of result.effects) carryOut(effect, shells);
  };

  // 2. The shells that report what happens outside: the page, input, wake-ups, other tabs, freezes.
  const page = createPageShell({
    ...h, // window, document, navigate
    options: o,
    onStay: () => dispatch({ type: 'stay' }),
    onSignOut: () => dispatch({ type: 'sign-out' }),
    onRestored: read,
  });
  const stopActivity = listenForActivity({
    ...o, // activityEvents, activityThrottleMs, activityOrigins
    target: win,
    now,
    timers: h.timers,
    onActivity: (at) => dispatch({ type: 'activity', at }),
  });
  const stopWakeUps = listenForWakeUps(win, doc, (type) => {
    if (type === 'visibilitychange') dispatch({ type: 'visibility', visible: !doc.hidden });
    read();
  });
  const sync = h.tabSync(o.channelName, {
    onNotify: (change) => {
      // A release from a tab going away may never land by itself: write it too (hold.ts).
      if (isRelease(change) && shells) carryOut({ type: 'write', patch: change }, shells);
      // The change is in the store already; applying it to this tab's view needs no store read.
      if (change) dispatch({ type: 'record-read', record: storage.learn(change) });
      read();
    },
    onLeadership: (isLeader) => dispatch({ type: 'leader', isLeader }),
  });
  // This tab's lease in the shared record (hold.ts), written as every core write is.
  const holds = createHoldKeeper({
    tab: String(Math.random()), // this page load's own key among the leases
    now,
    timers: h.timers,
    write: (patch, announce) => {
      if (announce) sync.notify(patch);
      if (shells) carryOut({ type: 'write', patch }, shells);
    },
  });
  // A frozen page finishes nothing until it runs again, yet Chromium still hands it BroadcastChannel
  // messages: so it lets go of channel, leader lock and database first, and starts nothing
  // (shared-state.ts, tab-sync.ts). A page that goes for good (a pagehide not into the
  // back/forward cache) releases its hold at once, if the write still lands (and tells the other
  // tabs, which write it too); else the lease runs out.
  const stopSuspend = listenForSuspend(
    win,
    doc,
    (suspended) => {
      for (const part of [sync, storage, holds]) suspended ? part.suspend?.() : part.resume?.();
    },
    holds.leave,
  );

  // 3. The wiring.
  /** At sign-out: nothing is left to show; the scheduler stays for a logout retry until stop(). */
  const teardown = (): void => {
    if (tornDown) return;
    tornDown = true;
    stopActivity();
    stopWakeUps();
    stopSuspend();
    holds.stop();
    sync.close();
  };
  shells = { options: o, host: h, storage, sync, page, emit: events.emit, dispatch, teardown, stopped: () => stopped };

  const getRemainingMs = (): number | null => (stopped ? null : remainingMsAt(state, now()));
  const getPhase = (): Phase | 'stopped' => (stopped ? 'stopped' : state.shownPhase);
  // What UIs bind to (useSyncExternalStore, Vue, Svelte, Solid), read off the events and getters.
  const snapshots = createExternalStore({ on: events.on, getPhase, getRemainingMs });
  const handle: IdleLogoutHandle = {
    stop() {
      if (stopped) return;
      page.stop();
      stopped = true;
      teardown();
      scheduler.stop();
      storage.suspend(); // closes the IndexedDB connection: `deleteDatabase` is not blocked
      events.clear();
      if (currentHandle === handle) currentHandle = undefined;
    },
    staySignedIn: () => dispatch({ type: 'stay' }),
    signOut: () => dispatch({ type: 'sign-out' }),
    getRemainingMs,
    getPhase,
    hold: holds.hold,
    on: events.on,
    ...snapshots, // subscribe, getSnapshot
  };

  dispatch({ type: 'start', visible: !doc.hidden });
  return handle;
}
