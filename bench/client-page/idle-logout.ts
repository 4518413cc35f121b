// Setup 2: idle-logout started from the script-tag build (dist/idle-logout.iife.js, loaded with
// data-autostart="false"), as a page would: real fetch to the bench server's protocol routes, no dialog.
import type * as ScriptTag from '../../client/script-tag.ts';
import { DEFAULT_BASE_PATH } from '../../protocol/index.ts';

declare global {
  interface Window {
    IdleLogout: typeof ScriptTag;
  }
}

const channelName = 'idle-logout-bench';
const handle = window.IdleLogout.startIdleLogout({ endpoint: DEFAULT_BASE_PATH, dialog: false, countdownInTitle: false, channelName });

// What the shared record said once the SDK was live, before any event was dispatched.
let readyAt = 0;
let lastActivityAtWhenReady = 0;

window.benchHarness.ready = new Promise<void>((resolve, reject) => {
  const deadline = Date.now() + 10_000;
  const poll = (): void => {
    if (handle.getPhase() === 'active' && handle.getRemainingMs() !== null) {
      readyAt = Date.now();
      readSharedRecord().then((record) => {
        lastActivityAtWhenReady = record?.lastActivityAt ?? 0;
        resolve();
      }, reject);
    } else if (Date.now() > deadline) reject(new Error(`idle-logout did not become active (phase ${handle.getPhase()})`));
    else setTimeout(poll, 20);
  };
  poll();
});

/** The shared record the SDK keeps in IndexedDB (client/shared-state.ts: database "idle-logout", store "state"). */
function readSharedRecord(): Promise<{ lastActivityAt?: number } | undefined> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('idle-logout');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction('state', 'readonly').objectStore('state').get(channelName);
      get.onerror = () => reject(get.error);
      get.onsuccess = () => {
        db.close();
        resolve(get.result as { lastActivityAt?: number } | undefined);
      };
    };
  });
}

window.benchHarness.check = async () => {
  // The activity write is asynchronous (IndexedDB); give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const record = await readSharedRecord();
  const lastActivityAt = record?.lastActivityAt ?? 0;
  return {
    ok: lastActivityAt > lastActivityAtWhenReady && lastActivityAt >= readyAt && handle.getPhase() === 'active',
    detail: `shared record lastActivityAt ${lastActivityAt ? `${Date.now() - lastActivityAt} ms ago` : 'never'} (was ${lastActivityAtWhenReady ? `${Date.now() - lastActivityAtWhenReady} ms ago` : 'never'} when live), phase ${handle.getPhase()}, remaining ${handle.getRemainingMs()} ms`,
  };
};
