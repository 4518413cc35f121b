// The events an app can follow (`handle.on(...)`), and the list of listeners behind them.
import type { SignedOutReason } from './core.ts';

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

export type Emit = <E extends IdleLogoutEvent>(event: E, detail: IdleLogoutEvents[E]) => void;

export interface Emitter {
  emit: Emit;
  on<E extends IdleLogoutEvent>(event: E, listener: (detail: IdleLogoutEvents[E]) => void): () => void;
  clear(): void;
}

/**
 * Listeners by event. A listener that throws is reported (`onError`) and the others still run.
 *
 * @example
 * const events = createEmitter(console.error);
 * events.on('warning', ({ remainingMs }) => show(remainingMs));
 */
export function createEmitter(onError: (error: unknown) => void): Emitter {
  const listeners = new Map<IdleLogoutEvent, Set<(detail: never) => void>>();
  return {
    emit(event, detail) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          (listener as (d: typeof detail) => void)(detail);
        } catch (error) {
          onError(error);
        }
      }
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (detail: never) => void);
      return () => set.delete(listener as (detail: never) => void);
    },
    clear: () => listeners.clear(),
  };
}
