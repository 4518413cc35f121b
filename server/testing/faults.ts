// Test doubles for what goes wrong around the server: a store that hangs or fails on demand, and a
// request body that counts how much of it the server pulled.
import type { SessionStore } from '../store.ts';

/** A working store that can be switched to hang (never settle) or fail every call, and back. */
export function switchableStore(inner: SessionStore) {
  let mode: 'ok' | 'hang' | 'throw' = 'ok';
  const guard = <T>(call: () => Promise<T>): Promise<T> => {
    if (mode === 'hang') return new Promise<T>(() => {});
    if (mode === 'throw') return Promise.reject(new Error('ECONNREFUSED'));
    return call();
  };
  const store: SessionStore = {
    get: (key, now) => guard(() => inner.get(key, now)),
    create: (key, record) => guard(() => inner.create(key, record)),
    extend: (key, proposed, now) => guard(() => inner.extend(key, proposed, now)),
    delete: (key) => guard(() => inner.delete(key)),
    takeExpired: (now, limit) => guard(() => inner.takeExpired(now, limit)),
  };
  return { store, set: (next: typeof mode) => void (mode = next) };
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
