// Test doubles for what goes wrong around the server: a store that hangs or fails on demand, and a
// request body that counts how much of it the server pulled.
import type { SessionStore } from '../store.ts';
import { STORE_METHODS } from './store-doubles.ts';

/** A working store that can be switched to hang (never settle) or fail every call, and back. */
export function switchableStore(inner: SessionStore) {
  let mode: 'ok' | 'hang' | 'throw' = 'ok';
  const guard = <T>(call: () => Promise<T>): Promise<T> => {
    if (mode === 'hang') return new Promise<T>(() => {});
    if (mode === 'throw') return Promise.reject(new Error('ECONNREFUSED'));
    return call();
  };
  const store = {} as Record<(typeof STORE_METHODS)[number], unknown>;
  for (const method of STORE_METHODS) {
    const call = (inner[method] as (...args: unknown[]) => Promise<unknown>).bind(inner);
    store[method] = (...args: unknown[]) => guard(() => call(...args));
  }
  return { store: store as unknown as SessionStore, set: (next: typeof mode) => void (mode = next) };
}

/** A streamed body of `totalBytes` in 64 KB chunks that counts the bytes the server pulled. */
export function countedBody(totalBytes: number) {
  const chunk = new Uint8Array(64 * 1024).fill(120);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= totalBytes) return controller.close();
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}
