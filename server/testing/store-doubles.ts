// Building blocks of the store test doubles: every method of the SessionStore contract, forwarded
// to a real store or answered one way, so a double names only the calls it changes and keeps up
// with the contract when it grows.
import { SESSION_STORE_METHODS, type SessionStore } from '../store.ts';

export const STORE_METHODS = SESSION_STORE_METHODS;

/**
 * A store that forwards every call to `inner`; spread it and override what the test watches.
 *
 * @example
 * const store: SessionStore = { ...forwardTo(inner), delete: (key) => later(() => inner.delete(key)) };
 */
export function forwardTo(inner: SessionStore): SessionStore {
  const store = {} as Record<(typeof STORE_METHODS)[number], unknown>;
  for (const method of STORE_METHODS) store[method] = (inner[method] as (...args: unknown[]) => unknown).bind(inner);
  return store as unknown as SessionStore;
}

/**
 * A store whose every call does what `answer` does (throw, reject, hang).
 *
 * @example
 * const down = answeringEveryCall(() => Promise.reject(new Error('ECONNREFUSED')));
 */
export function answeringEveryCall(answer: () => Promise<never>): SessionStore {
  const store = {} as Record<(typeof STORE_METHODS)[number], unknown>;
  for (const method of STORE_METHODS) store[method] = answer;
  return store as unknown as SessionStore;
}
