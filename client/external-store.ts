// The handle as an external store: `subscribe(listener)` and `getSnapshot()`, the pair React's
// `useSyncExternalStore` takes, and that Vue (`shallowRef`), Svelte (the store contract) and Solid
// (`from`) bind in a few lines. It is a shell over the handle's events: it holds no rules.
//
// useSyncExternalStore compares snapshots with Object.is and renders again whenever they differ, so
// `getSnapshot()` must return the SAME object until something in it changes (a new object per call
// loops: React warns "The result of getSnapshot should be cached"). Hence one frozen object, replaced
// only when a field changes, and remainingMs rounded to what the countdown shows (whole seconds).
import type { IdleLogoutEvent, IdleLogoutHandle, Phase, SignedOutReason } from './start.ts';

/** What a UI shows of the session, as one immutable object. */
export interface IdleLogoutSnapshot {
  /** What this tab shows: 'starting' until the server first answers; 'stopped' after `stop()`. */
  readonly phase: Phase | 'stopped';
  /**
   * Time left in ms, rounded UP to the whole second as the dialog's countdown shows it (so it reads 0
   * only when time is up). During the warning it changes every second while the page is visible;
   * otherwise it is the time left at the last change (start, keepalive, stay). null until known.
   */
  readonly remainingMs: number | null;
  /** false while the server cannot be reached (this tab retries with backoff). */
  readonly reachable: boolean;
  /** Why the session ended, once `phase` is 'signed-out'; null before. */
  readonly signedOutReason: SignedOutReason | null;
}

/** The snapshot before a handle exists: during server-side rendering and before the first effect. */
export const NOT_STARTED: IdleLogoutSnapshot = Object.freeze({ phase: 'starting', remainingMs: null, reachable: true, signedOutReason: null });

export interface ExternalStore {
  /** Calls `listener` after each change of `getSnapshot()`; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** The current snapshot: the same object until something in it changes. */
  getSnapshot(): IdleLogoutSnapshot;
}

/** Every event that can change a field of the snapshot ('error' cannot: it never changes the phase). */
const EVENTS: readonly Exclude<IdleLogoutEvent, 'error'>[] = ['warning', 'tick', 'stay', 'active', 'signed-out', 'keepalive', 'unreachable', 'reachable'];

/**
 * An external store over a handle's events. Methods need no `this`: `useSyncExternalStore(store.subscribe, store.getSnapshot)`.
 *
 * @example
 * const store = createExternalStore(handle);
 * const unsubscribe = store.subscribe(() => render(store.getSnapshot()));
 */
export function createExternalStore(handle: Pick<IdleLogoutHandle, 'on' | 'getPhase' | 'getRemainingMs'>): ExternalStore {
  const listeners = new Set<() => void>();
  let snapshot = NOT_STARTED;
  let remainingMs = handle.getRemainingMs();
  let reachable = true;
  let signedOutReason: SignedOutReason | null = null;

  const getSnapshot = (): IdleLogoutSnapshot => {
    // The phase is read live: `stop()` emits nothing (it drops every listener), yet reads 'stopped'.
    const phase = handle.getPhase();
    const next: IdleLogoutSnapshot = {
      phase,
      remainingMs: phase === 'stopped' || remainingMs === null ? null : Math.ceil(remainingMs / 1000) * 1000,
      reachable,
      signedOutReason,
    };
    for (const key in next) if (next[key as keyof IdleLogoutSnapshot] !== snapshot[key as keyof IdleLogoutSnapshot]) return (snapshot = Object.freeze(next));
    return snapshot;
  };

  for (const event of EVENTS) {
    handle.on(event, (detail: { remainingMs?: number; reason?: SignedOutReason }) => {
      remainingMs = detail.remainingMs ?? handle.getRemainingMs();
      if (event === 'unreachable' || event === 'reachable') reachable = event === 'reachable';
      if (detail.reason) signedOutReason = detail.reason;
      // (The snapshot before, compared with the one getSnapshot() makes now.)
      if (snapshot !== getSnapshot()) for (const listener of [...listeners]) listener();
    });
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    getSnapshot,
  };
}
