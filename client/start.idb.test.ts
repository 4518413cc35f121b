// @vitest-environment node
// Two tabs on the real idb-keyval store (fake-indexeddb), not the in-memory double.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { idbSharedStore } from './shared-state.ts';
import { settle } from './testing/clock.ts';
import { SimOrigin } from './testing/tabs.ts';

const T = 300_000;
const W = 60_000;

let o: SimOrigin | undefined;
afterEach(() => o?.closeAll());

describe('with IndexedDB as the shared state', () => {
  it('warning in both tabs, stay in one closes both, a reloaded tab keeps the deadline, sign-out reaches all', async () => {
    o = new SimOrigin(idbSharedStore('idb-e2e'));
    // Each tab has its own connection, as in a browser.
    const a = await o.open({ storage: idbSharedStore('idb-e2e') });
    const b = await o.open({ storage: idbSharedStore('idb-e2e') });
    await settle(20);
    await o.clock.advance(T - W);
    await settle(20);
    expect([a.handle.getPhase(), b.handle.getPhase()]).toEqual(['warning', 'warning']);
    b.handle.staySignedIn();
    await settle(20);
    expect([a.handle.getPhase(), b.handle.getPhase()]).toEqual(['active', 'active']);
    expect(a.named('stay')).toHaveLength(1);
    // A third tab reads the stored deadline at once (before its own status answer).
    o.server.fault = 'down';
    const c = await o.open({ storage: idbSharedStore('idb-e2e') });
    await settle(20);
    expect(c.handle.getRemainingMs()).toBe(a.handle.getRemainingMs());
    o.server.fault = 'none';
    a.handle.signOut();
    await settle(20);
    expect([a.signedOut, b.signedOut, c.signedOut]).toEqual([['user'], ['user'], ['user']]);
    expect(o.server.count('/session/logout')).toBe(1);
  });

  it('stop() closes the connection: deleteDatabase is not blocked, and getPhase() says stopped', async () => {
    o = new SimOrigin();
    const tab = await o.open({ storage: idbSharedStore('stop', 'stop-db') });
    await settle(20);
    expect(tab.handle.getPhase()).toBe('active');
    tab.handle.stop();
    const outcome = await new Promise<string>((resolve) => {
      const request = indexedDB.deleteDatabase('stop-db');
      request.onsuccess = () => resolve('deleted');
      request.onblocked = () => resolve('blocked');
    });
    expect(outcome).toBe('deleted');
    expect(tab.handle.getPhase()).toBe('stopped');
    expect(tab.handle.getRemainingMs()).toBeNull();
  });
});
