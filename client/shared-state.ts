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
export function memorySharedStore(): SharedStore {
  let record: SharedRecord | undefined;
  return {
    read: async () => record,
    async write(patch) {
      const result = applyPatch(record, patch);
      record = result.record;
      return result;
    },
  };
}
