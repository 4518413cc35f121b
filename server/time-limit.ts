/**
 * Bounds how long promises may take, with ONE timer for all of those pending instead of a
 * `setTimeout` + `Promise.race` per call (about 10 µs per request on the keepalive route, measured
 * in bench/server.ts). A promise that has not settled `limitMs` after it was given fails with
 * `timeoutError()` then, not later: the timer is armed for the earliest due call (calls are due in
 * the order they were given, so that is the oldest one pending). Its own failures pass through
 * `mapError` (so callers need no extra async layer to translate them). What a timed-out promise
 * fulfils with later goes to that call's `onLate`, if it has one: a store call that removed
 * records (a sign-out, an expiry claim) still has to report them.
 *
 * @example
 * const withinLimit = createTimeLimit(2_000, () => new Error('too slow'));
 * const record = await withinLimit(store.get(key, now));
 * const removed = await withinLimit(store.delete(key), (late) => report(late));
 */
export function createTimeLimit(
  limitMs: number,
  timeoutError: () => Error,
  mapError: (error: unknown) => unknown = (error) => error,
): <T>(promise: Promise<T>, onLate?: (value: T) => void) => Promise<T> {
  interface Entry {
    dueAt: number;
    timedOut: boolean;
    reject: (error: Error) => void;
  }
  // A Set iterates in insertion order, which is due order (every entry gets the same limit).
  const pending = new Set<Entry>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  function check(): void {
    timer = undefined;
    const now = Date.now();
    for (const entry of pending) {
      if (entry.dueAt > now) return arm(entry.dueAt - now);
      pending.delete(entry);
      entry.timedOut = true;
      entry.reject(timeoutError());
    }
  }

  function arm(delayMs: number): void {
    timer = setTimeout(check, delayMs);
    // Do not keep a Node process alive for it (the method does not exist everywhere).
    (timer as { unref?: () => void }).unref?.();
  }

  // The timer is left armed when the last pending call settles: on a fast store every call
  // settles before the next arrives, and clearing it each time would cost a setTimeout and a
  // clearTimeout per request (several µs on the keepalive route, bench/server.ts). Armed for an
  // earlier due time, it fires before any later call is due and re-arms for the oldest pending.
  function settled(entry: Entry): void {
    pending.delete(entry);
  }

  return <T>(promise: Promise<T>, onLate?: (value: T) => void) =>
    new Promise<T>((resolve, reject) => {
      const entry: Entry = { dueAt: Date.now() + limitMs, timedOut: false, reject };
      pending.add(entry);
      if (timer === undefined) arm(limitMs);
      promise.then(
        (value) => {
          if (entry.timedOut) return onLate?.(value);
          settled(entry);
          resolve(value);
        },
        (error: unknown) => {
          if (entry.timedOut) return;
          settled(entry);
          reject(mapError(error));
        },
      );
    });
}
