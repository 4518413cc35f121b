// The shared record in IndexedDB (idb-keyval), the one source of truth for every tab of the origin.
// Every change is a patch applied inside one read-write transaction (core.ts `applyPatch`), so two
// tabs writing at once merge instead of overwriting each other.
//
// A frozen tab must not stall the others. IndexedDB runs a read-write transaction only after every
// earlier transaction on the same store has finished, and a frozen page runs no tasks, so a
// transaction it had open never finishes: every other tab's writes queue behind it until Chromium
// aborts it (about 60 s). So this tab aborts its own transactions and closes its connection when
// the page is suspended (Page Lifecycle `freeze`, the back/forward cache) and starts none until it
// runs again; and no tab ever waits on the store for longer than STORE_WAIT_BOUND_MS (`withLocalView`).
import { update, get, type UseStore } from 'idb-keyval';
import { applyPatch, isSharedRecord, type Patch, type SharedRecord } from './core.ts';
import type { Timers } from './timers.ts';

export interface SharedStore {
  read(): Promise<SharedRecord | undefined>;
  /** Applies the patch atomically; resolves with the record after it and whether it changed. */
  write(patch: Patch): Promise<{ record: SharedRecord; applied: boolean }>;
  /** The page stops running tasks (frozen, bfcached) or the SDK stopped: let go of the database. Calls then wait for `resume()`. */
  suspend?(): void;
  /** The page runs again: calls cut short by `suspend()` run again. */
  resume?(): void;
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
  let connection: Promise<IDBDatabase> | undefined; // opened on first use, never at import
  const open = new Set<IDBTransaction>();
  let suspended: Promise<void> | undefined;
  let wake = (): void => {};
  let suspensions = 0;
  // idb-keyval's documented seam (a custom `UseStore`), so every transaction we start is one we can abort.
  const useStore: UseStore = async (txMode, callback) => {
    const db = await (connection ??= openDatabase(databaseName, () => (connection = undefined)));
    const transaction = db.transaction('state', txMode);
    open.add(transaction);
    // Listeners, not `on…` properties: idb-keyval sets `oncomplete`/`onabort` on the transaction itself.
    for (const end of ['complete', 'abort', 'error']) transaction.addEventListener(end, () => open.delete(transaction));
    return callback(transaction.objectStore('state'));
  };
  /** Runs `call` once the page runs; a call aborted by `suspend()` runs again after `resume()`. */
  const run = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      await suspended;
      const generation = suspensions;
      try {
        return await call();
      } catch (error) {
        if (generation === suspensions) throw error;
      }
    }
  };
  return {
    read: () => run(async () => {
      const value = await get<unknown>(key, useStore);
      return isSharedRecord(value) ? value : undefined;
    }),
    write: (patch) => run(async () => {
      let result = { record: undefined as unknown as SharedRecord, applied: false };
      // idb-keyval's update() runs get and put in one read-write transaction.
      await update<SharedRecord>(key, (old) => (result = applyPatch(old, patch)).record, useStore);
      return result;
    }),
    suspend() {
      suspensions++;
      suspended ??= new Promise((resolve) => (wake = resolve));
      for (const transaction of open) {
        try {
          transaction.abort();
        } catch {
          // already committing: it finishes without us
        }
      }
      open.clear();
      // close() lets the transactions in flight finish (aborted above) and ends the connection, so
      // `indexedDB.deleteDatabase` and a version change are not blocked by this tab.
      void connection?.then((db) => db.close(), () => {});
      connection = undefined;
    },
    resume() {
      suspended = undefined;
      wake();
    },
  };
}

function openDatabase(name: string, onClose: () => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onupgradeneeded = () => request.result.createObjectStore('state');
    request.onsuccess = () => {
      // The browser may close a connection itself (Safari does; so does clearing site data): reopen on next use.
      request.result.onclose = onClose;
      resolve(request.result);
    };
    request.onerror = () => reject(request.error);
  });
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

/** The longest a tab waits on the shared store before it carries on from its own view. */
export const STORE_WAIT_BOUND_MS = 1_000;

/** The shared store as one tab sees it: never waits long, and knows what other tabs announced. */
export interface LocalView extends SharedStore {
  /** Another tab announced `patch` (it is in the store already): applies it to this tab's view and returns the view. */
  learn(patch: Patch): SharedRecord;
  suspend(): void;
  resume(): void;
}

/**
 * Wraps `store` so that no call waits longer than `boundMs`: past it, the call answers from this
 * tab's view (the last record the store gave, with the patches this tab and others applied since)
 * and the store's late answer is taken when it comes; once every late call has finished,
 * `onCaughtUp` runs (the tab reads again). Patches are merge-safe (`applyPatch`), so applying one to
 * the view and again in the store is harmless; a write that ran late still lands in the store.
 * If the store fails (quota, storage disabled by policy), the tab keeps working from its view alone:
 * other tabs then no longer share it, and the server's deadline still holds for all.
 *
 * @example
 * const store = withLocalView(idbSharedStore('idle-logout'), { timers: hostTimers, onFailure: console.warn, onCaughtUp: reread });
 */
export function withLocalView(
  store: SharedStore,
  options: { timers: Timers; onFailure(error: unknown): void; onCaughtUp(): void; boundMs?: number },
): LocalView {
  const { timers, onFailure, onCaughtUp, boundMs = STORE_WAIT_BOUND_MS } = options;
  let seen: SharedRecord | undefined;
  let pending: Patch[] = []; // applied to the view, not yet confirmed by the store
  let late = 0;
  let failed = false;
  const view = (): SharedRecord | undefined => pending.reduce<SharedRecord | undefined>((r, patch) => applyPatch(r, patch).record, seen);
  /** Waits for `call` at most `boundMs`; `take` keeps its answer whenever it comes. */
  const bounded = <T>(call: Promise<T>, take: (value: T) => void): Promise<void> =>
    new Promise((resolve) => {
      let overdue = false;
      const timer = timers.setTimeout(() => {
        overdue = true;
        late++;
        resolve();
      }, boundMs);
      call
        .then(take, (error: unknown) => {
          if (failed) return;
          failed = true;
          seen = view();
          pending = [];
          onFailure(error);
        })
        .finally(() => {
          timers.clearTimeout(timer);
          resolve();
          if (overdue && --late === 0 && !failed) onCaughtUp();
        });
    });
  return {
    async read() {
      if (!failed) await bounded(store.read(), (record) => (seen = record));
      return view();
    },
    async write(patch) {
      // The store's answer says whether the patch changed the record (of two tabs claiming a
      // keepalive, one wins); past the bound, this tab's view says it (both may win: one duplicate
      // keepalive, never a missed one).
      let { applied } = applyPatch(view(), patch);
      if (failed) seen = applyPatch(seen, patch).record;
      else {
        pending.push(patch);
        await bounded(store.write(patch), (result) => {
          applied = result.applied; // too late to matter once the call answered from the view
          seen = result.record;
          pending = pending.filter((p) => p !== patch);
        });
      }
      return { record: view()!, applied };
    },
    learn(patch) {
      seen = applyPatch(seen, patch).record;
      return view()!;
    },
    suspend: () => store.suspend?.(),
    resume: () => store.resume?.(),
  };
}
