/** The timer functions the shells use; tests pass fakes. `setTimeout` returns whatever id the host uses. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(id: unknown): void;
}

/**
 * The host's timers: the global object's own, looked up on it when called (a test's fake timers
 * too), each with the global object as `this`, as the platform wants.
 */
export const hostTimers: Timers = globalThis;
