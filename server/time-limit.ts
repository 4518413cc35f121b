/**
 * Bounds how long promises may take, with ONE timer for all of those pending instead of a
 * `setTimeout` + `Promise.race` per call (about 10 µs per request on the keepalive route, measured
 * in bench/server.ts). A promise that has not settled `limitMs` after it was given fails with
 * `timeoutError()` within a quarter of the limit more; what it settles to later is ignored. Its
 * own failures pass through `mapError` (so callers need no extra async layer to translate them).
 *
 * @example
 * const withinLimit = createTimeLimit(2_000, () => new Error('too slow'));
 * const record = await withinLimit(store.get(key, now));
 */
export function createTimeLimit(
  limitMs: number,
  timeoutError: () => Error,
  mapError: (error: unknown) => unknown = (error) => error,
): <T>(promise: Promise<T>) => Promise<T> {
  const pending = new Set<{ dueAt: number; reject: (error: Error) => void }>();
  const checkEveryMs = Math.max(5, Math.ceil(limitMs / 4));
  let timer: ReturnType<typeof setTimeout> | undefined;

  function check(): void {
    timer = undefined;
    const now = Date.now();
    for (const entry of pending) {
      if (entry.dueAt > now) continue;
      pending.delete(entry);
      entry.reject(timeoutError());
    }
    if (pending.size > 0) arm();
  }

  function arm(): void {
    timer = setTimeout(check, checkEveryMs);
    // Do not keep a Node process alive for it (the method does not exist everywhere).
    (timer as { unref?: () => void }).unref?.();
  }

  return <T>(promise: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const entry = { dueAt: Date.now() + limitMs, reject };
      pending.add(entry);
      if (timer === undefined) arm();
      promise.then(
        (value) => {
          pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(entry);
          reject(mapError(error));
        },
      );
    });
}
