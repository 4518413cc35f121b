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
  // The pending calls, oldest first (due order: every call gets the same limit), as a list linked
  // through the calls themselves: a call that settles unlinks itself in a few pointer writes. A
  // Set of them cost about 1 µs more per call (`npm run bench:hot-path`), most of it collecting
  // the garbage its deletions leave.
  let oldest: Pending | undefined;
  let newest: Pending | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function unlink(call: Pending): void {
    if (call.older) call.older.newer = call.newer;
    else oldest = call.newer;
    if (call.newer) call.newer.older = call.older;
    else newest = call.older;
    call.older = call.newer = undefined;
  }

  function check(): void {
    timer = undefined;
    const now = Date.now();
    while (oldest) {
      const call = oldest;
      if (call.dueAt > now) return arm(call.dueAt - now);
      unlink(call);
      call.timedOut = true;
      call.reject(timeoutError());
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
  return <T>(promise: Promise<T>, onLate?: (value: T) => void) =>
    new Promise<T>((resolve, reject) => {
      const call = new Pending(Date.now() + limitMs, reject, newest);
      if (newest) newest.newer = call;
      else oldest = call;
      newest = call;
      if (timer === undefined) arm(limitMs);
      promise.then(
        (value) => {
          if (call.timedOut) return onLate?.(value);
          unlink(call);
          resolve(value);
        },
        (error: unknown) => {
          if (call.timedOut) return;
          unlink(call);
          reject(mapError(error));
        },
      );
    });
}

/** One call waiting for its promise, linked to the calls given just before and after it. */
class Pending {
  timedOut = false;
  newer: Pending | undefined = undefined;
  constructor(
    readonly dueAt: number,
    readonly reject: (error: Error) => void,
    public older: Pending | undefined,
  ) {}
}
