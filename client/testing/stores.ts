// A shared store (the tabs' record) that misbehaves on demand.
import type { Patch } from '../core.ts';
import { memorySharedStore, type SharedStore } from '../shared-state.ts';

/**
 * A shared store that hangs while `hanging` (as IndexedDB does behind a transaction a frozen tab
 * holds): calls wait until `release()`, which answers them in order; `inner` is what it holds.
 */
export function hangingStore(inner: SharedStore = memorySharedStore()) {
  const held: (() => void)[] = [];
  const later = <T>(call: () => Promise<T>): Promise<T> =>
    store.hanging ? new Promise((resolve, reject) => held.push(() => call().then(resolve, reject))) : call();
  const store = {
    hanging: false,
    inner,
    read: () => later(() => inner.read()),
    write: (patch: Patch) => later(() => inner.write(patch)),
    release() {
      store.hanging = false;
      for (const answer of held.splice(0)) answer();
    },
  };
  return store;
}
