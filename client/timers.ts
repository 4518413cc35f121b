/** The timer functions the shells use; tests pass fakes. `setTimeout` returns whatever id the host uses. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The host's timers, looked up when called (never at import: safe during server-side rendering). */
export const hostTimers: Timers = {
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
};
