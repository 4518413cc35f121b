// The shared record in IndexedDB (idb-keyval), the one source of truth for every tab of the origin.
// Every change is a patch applied inside one read-write transaction (core.ts `applyPatch`), so two
// tabs writing at once merge instead of overwriting each other.
//
// A frozen tab must not stall the others. IndexedDB runs a read-write transaction only after every
// earlier transaction on the same store has finished, and a frozen page runs no tasks, so a
// transaction it starts never finishes: every other tab's writes queue behind it until Chromium
// aborts it (about 60 s). A frozen page can even start one: Chromium delivers BroadcastChannel
// messages to it (seen over CDP). So when the page is suspended (Page Lifecycle `freeze`, the
// back/forward cache) this store aborts its transactions, closes its connection and starts nothing
// until it runs again; and no tab ever waits on the store for longer than STORE_WAIT_BOUND_MS
// (`withLocalView`).
import { createStore, get, update, type UseStore } from 'idb-keyval';
import { applyPatch, storedRecord, type Patch, type SessionChange, type SessionRecord, type SharedRecord } from './core.ts';
import type { Timers } from './timers.ts';

/**
 * Where the tabs of an origin keep their one record. The SDK's own stores are typed with the core's
 * record and patch; to an app (`IdleLogoutHost.storage`, the `SharedStore` of client/index.ts) both
 * are opaque: `SharedStore<SessionRecord, SessionChange>`.
 */
export interface SharedStore<Stored = SharedRecord, Change = Patch> {
  read(): Promise<Stored | undefined>;
  /** Applies the change atomically; resolves with the record after it and whether it changed. */
  write(change: Change): Promise<{ record: Stored; applied: boolean }>;
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
  let base: UseStore | undefined; // opened on first use, never at import
  let db: IDBDatabase | undefined;
  const open = new Set<IDBTransaction>();
  let suspended: Promise<void> | undefined;
  let wake = (): void => {};
  let suspensions = 0;
  /** Aborts this tab's transactions in flight and closes the connection (once they are done). */
  const letGo = (): void => {
    for (const transaction of open) {
      try {
        transaction.abort();
      } catch {
        // already committing: it finishes without us
      }
    }
    db?.close();
    base = db = undefined;
  };
  // idb-keyval's documented seam, a custom `UseStore` (here around its own), so that we know each
  // transaction we start and the connection.
  const useStore: UseStore = (txMode, callback) =>
    (base ??= createStore(databaseName, 'state'))(txMode, (store) => {
      const transaction = store.transaction;
      db = transaction.db;
      open.add(transaction);
      if (suspended) letGo(); // opened while suspending
      return Promise.resolve(callback(store)).finally(() => open.delete(transaction));
    });
  /** Starts `call` only while the page runs; one cut short by `suspend()` runs again after `resume()`. */
  const run = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      await suspended;
      if (suspended) continue; // suspended again meanwhile
      const generation = suspensions;
      try {
        return await call();
      } catch (error) {
        if (generation === suspensions) throw error;
      }
    }
  };
  return {
    read: () =>
      run(async () => {
        return storedRecord(await get<unknown>(key, useStore));
      }),
    write: (patch) =>
      run(async () => {
        let result: { record: SharedRecord; applied: boolean } | undefined;
        // idb-keyval's update() runs get and put in one read-write transaction.
        await update<SharedRecord>(key, (old) => (result = applyPatch(old, patch)).record, useStore);
        return result!;
      }),
    suspend() {
      suspensions++;
      suspended ??= new Promise((resolve) => (wake = resolve));
      // A transaction in flight at a freeze may never finish (its result waits for the page to run
      // again; seen in e2e/frozen-tabs.test.ts), so abort it: it runs again after resume. With the
      // connection closed, this tab holds nothing while frozen, and after stop()
      // `indexedDB.deleteDatabase` and version changes are not blocked by it.
      letGo();
    },
    resume() {
      suspended = undefined;
      wake();
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

/** The longest a tab waits on the shared store before it carries on from its own view. */
export const STORE_WAIT_BOUND_MS = 1_000;

/** The shared store as one tab sees it: never waits long, and knows what other tabs announced. */
export interface LocalView {
  /** The record (undefined: none yet, or none this version understands). */
  read(): Promise<SharedRecord | undefined>;
  write(patch: Patch): Promise<{ record: SharedRecord | undefined; applied: boolean }>;
  /**
   * Another tab announced `change` (it is in the store already): applies it to this tab's view and
   * returns the view. A change of a kind this version does not know leaves the view as it is.
   */
  learn(change: SessionChange): SharedRecord;
  suspend(): void;
  resume(): void;
}

/** What `withLocalView` reports to: a store failure (once), and the end of every late call. */
export interface LocalViewOptions {
  timers: Timers;
  onFailure(error: unknown): void;
  onCaughtUp(): void;
}

/**
 * Wraps `store` so that no call waits longer than STORE_WAIT_BOUND_MS: past it, the call answers
 * from this tab's view (the last record the store gave, with the patches applied since: this
 * tab's late ones and those other tabs announced). A late answer is not used (it may be older than
 * what the view learned since); once every late call has finished, `onCaughtUp` runs and the tab
 * reads again. Patches are merge-safe (`applyPatch`), so one applied to the view and then in the
 * store is harmless, and a write that ran late still lands in the store. If the store fails
 * (quota, storage disabled by policy), the tab keeps working from its view: other tabs then no
 * longer share it; the server's deadline holds for all.
 *
 * @example
 * const store = withLocalView(idbSharedStore('idle-logout'), { timers: hostTimers, onFailure: console.warn, onCaughtUp: reread });
 */
export function withLocalView(
  store: SharedStore<SessionRecord, SessionChange>,
  options: LocalViewOptions,
): LocalView {
  const { timers, onCaughtUp } = options;
  let { onFailure } = options;
  let view: SharedRecord | undefined;
  let late = 0;
  const apply = (patch: Patch): { record: SharedRecord; applied: boolean } => {
    const result = applyPatch(view, patch); // a kind it does not know (another version's) changes nothing
    view = result.record;
    return result;
  };
  /** Waits for `call` at most STORE_WAIT_BOUND_MS and gives its answer to `take` only if it came in time. */
  const bounded = <T>(call: Promise<T>, take: (value: T) => void): Promise<void> =>
    new Promise((resolve) => {
      let timer: unknown = timers.setTimeout(() => {
        timer = null;
        late++;
        resolve();
      }, STORE_WAIT_BOUND_MS);
      call
        .then(
          (value) => timer !== null && take(value),
          (error: unknown) => {
            onFailure(error);
            onFailure = () => {}; // reported once
          },
        )
        .finally(() => {
          if (timer !== null) timers.clearTimeout(timer);
          else if (!--late) onCaughtUp();
          resolve();
        });
    });
  return {
    // A store the app gave may hold a record of another version: read as the core reads one.
    async read() {
      await bounded(store.read(), (record) => (view = storedRecord(record)));
      return view;
    },
    async write(patch) {
      let result: { applied: boolean } | undefined;
      await bounded(store.write(patch), (answer) => (view = storedRecord((result = answer).record)));
      // Late or failed: this tab's view says whether the patch changed the record (of two tabs
      // claiming a keepalive both may win: one duplicate keepalive, never a missed one). A write
      // still within the bound is in no read's answer: the core acts on the write's own answer.
      result ??= apply(patch);
      return { record: view!, applied: result.applied };
    },
    learn: (change) => apply(change as Patch).record,
    suspend: () => store.suspend?.(),
    resume: () => store.resume?.(),
  };
}
