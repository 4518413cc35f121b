// The shared record in IndexedDB (idb-keyval), the one source of truth for every tab of the origin.
// Every change is a patch applied inside one read-write transaction (core.ts `applyPatch`), so two
// tabs writing at once merge instead of overwriting each other.
import { createStore, get, update, type UseStore } from 'idb-keyval';
import { applyPatch, isSharedRecord, type Patch, type SharedRecord } from './core.ts';

export interface SharedStore {
  read(): Promise<SharedRecord | undefined>;
  /** Applies the patch atomically; resolves with the record after it and whether it changed. */
  write(patch: Patch): Promise<{ record: SharedRecord; applied: boolean }>;
}

/**
 * The default store: one key in its own IndexedDB database, so clearing another library's
 * idb-keyval data never drops the session state.
 *
 * @example
 * const store = idbSharedStore('idle-logout');
 * await store.write({ kind: 'activity', at: Date.now() });
 */
export function idbSharedStore(key: string, databaseName = 'idle-logout'): SharedStore {
  let store: UseStore | undefined; // opened on first use, never at import
  const useStore = (): UseStore => (store ??= createStore(databaseName, 'state'));
  return {
    async read() {
      const value = await get<unknown>(key, useStore());
      return isSharedRecord(value) ? value : undefined;
    },
    async write(patch) {
      let result = { record: undefined as unknown as SharedRecord, applied: false };
      // idb-keyval's update() runs get and put in one read-write transaction.
      await update<SharedRecord>(key, (old) => (result = applyPatch(old, patch)).record, useStore());
      return result;
    },
  };
}

/**
 * A store in memory: for tests (several simulated tabs share one), and where IndexedDB is missing.
 *
 * @example
 * const store = memorySharedStore();
 */
export function memorySharedStore(initial?: SharedRecord): SharedStore {
  let record = initial;
  return {
    read: async () => record,
    async write(patch) {
      const result = applyPatch(record, patch);
      record = result.record;
      return result;
    },
  };
}

/**
 * Uses `store` until it fails once (IndexedDB can throw: quota, a closed connection, storage
 * disabled by policy), then keeps this tab working from memory, seeded with the last record seen.
 * Other tabs then no longer share this tab's view; the server's deadline still holds for all.
 *
 * @example
 * const store = withMemoryFallback(idbSharedStore('idle-logout'), console.warn);
 */
export function withMemoryFallback(store: SharedStore, onFailure: (error: unknown) => void): SharedStore {
  let lastSeen: SharedRecord | undefined;
  let fallback: SharedStore | undefined;
  const useFallback = async (error: unknown): Promise<SharedStore> => {
    if (!fallback) {
      onFailure(error);
      fallback = memorySharedStore(lastSeen);
    }
    return fallback;
  };
  return {
    async read() {
      if (fallback) return fallback.read();
      try {
        return (lastSeen = await store.read());
      } catch (error) {
        return (await useFallback(error)).read();
      }
    },
    async write(patch) {
      if (fallback) return fallback.write(patch);
      try {
        const result = await store.write(patch);
        lastSeen = result.record;
        return result;
      } catch (error) {
        return (await useFallback(error)).write(patch);
      }
    },
  };
}
