// The default tab sync against Node's native BroadcastChannel and a Web Locks double.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Patch, SessionChange } from './core.ts';
import { BroadcastChannel as PackageBroadcastChannel } from 'broadcast-channel';
import { browserTabSync, type NotifyChannelConstructor, type TabSync, type TabSyncHost } from './tab-sync.ts';

// Counts the package channels made, to prove the default goes through broadcast-channel.
const packageChannels = vi.hoisted(() => [] as string[]);
const packageChannelOptions = vi.hoisted(() => [] as unknown[]);
vi.mock('broadcast-channel', async (importOriginal) => {
  const actual = await importOriginal<typeof import('broadcast-channel')>();
  class CountedChannel<T> extends actual.BroadcastChannel<T> {
    constructor(name: string, options?: import('broadcast-channel').BroadcastChannelOptions) {
      super(name, options);
      packageChannels.push(name);
      packageChannelOptions.push(options);
    }
  }
  return { ...actual, BroadcastChannel: CountedChannel };
});

/** An in-memory LockManager: exclusive locks granted in request order, released when the callback's promise settles. */
class FakeLocks {
  private readonly queues = new Map<string, { grant(): void; signal?: AbortSignal }[]>();
  private readonly held = new Set<string>();
  request(name: string, options: { signal?: AbortSignal }, callback: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      const entry = {
        signal: options.signal,
        grant: () => {
          this.held.add(name);
          Promise.resolve(callback())
            .then(resolve, reject)
            .finally(() => {
              this.held.delete(name);
              this.next(name);
            });
        },
      };
      options.signal?.addEventListener('abort', () => {
        const index = queue.indexOf(entry);
        if (index >= 0) {
          queue.splice(index, 1);
          reject(new DOMException('aborted', 'AbortError'));
        }
      });
      queue.push(entry);
      this.next(name);
    });
  }
  private next(name: string): void {
    if (this.held.has(name)) return;
    this.queues.get(name)?.shift()?.grant();
  }
}

class FakeHost {
  constructor(
    readonly navigator: { locks: LockManager | null },
    readonly Channel: NotifyChannelConstructor | null = PackageBroadcastChannel as unknown as NotifyChannelConstructor,
  ) {}
}

const ACTIVITY: Patch = { kind: 'activity', at: 1_000 };

const wait = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let opened: TabSync[] = [];
afterEach(() => {
  for (const sync of opened) sync.close();
  opened = [];
});

function tab(host: FakeHost, name = 'test-channel') {
  const log = { notified: 0, patches: [] as (SessionChange | undefined)[], leader: [] as boolean[] };
  const sync = browserTabSync(host as unknown as TabSyncHost, host.Channel)(name, {
    onNotify: (patch) => {
      log.notified++;
      log.patches.push(patch);
    },
    onLeadership: (isLeader) => log.leader.push(isLeader),
  });
  opened.push(sync);
  return { sync, log };
}

describe('browserTabSync', () => {
  it("carries notifications over the broadcast-channel package's channel by default", async () => {
    const host = () => new FakeHost({ locks: null });
    const log = { a: 0, b: 0 };
    const a = browserTabSync(host() as unknown as TabSyncHost)('default-channel', { onNotify: () => log.a++, onLeadership: () => {} });
    const b = browserTabSync(host() as unknown as TabSyncHost)('default-channel', { onNotify: () => log.b++, onLeadership: () => {} });
    opened.push(a, b);
    a.notify(ACTIVITY);
    for (let i = 0; i < 100 && log.b === 0; i++) await wait(10);
    expect(log).toEqual({ a: 0, b: 1 });
    expect(packageChannels).toEqual(['default-channel', 'default-channel']);
    // Windows only: never the IndexedDB method, which the script-tag build leaves out (vite.config.ts).
    expect(packageChannelOptions).toEqual([{ webWorkerSupport: false }, { webWorkerSupport: false }]);
  });

  it('elects one leader; when it closes, the next tab leads', async () => {
    const locks = new FakeLocks() as unknown as LockManager;
    const a = tab(new FakeHost({ locks }));
    const b = tab(new FakeHost({ locks }));
    await wait();
    expect(a.log.leader).toEqual([true]);
    expect(b.log.leader).toEqual([]);
    a.sync.close();
    await wait();
    expect(b.log.leader).toEqual([true]);
    expect(a.log.leader).toEqual([true]); // close() does not report, the tab is gone
  });

  it('notifies the other tabs, not itself, with the patch; a message that is not a patch reaches them as undefined', async () => {
    const locks = new FakeLocks() as unknown as LockManager;
    const a = tab(new FakeHost({ locks }));
    const b = tab(new FakeHost({ locks }));
    const c = tab(new FakeHost({ locks }));
    a.sync.notify(ACTIVITY);
    // Delivery is asynchronous (the package's channel): on a loaded machine 20 ms may not be enough.
    await vi.waitFor(() => expect([b.log.notified, c.log.notified]).toEqual([1, 1]));
    await wait(20);
    expect([a.log.notified, b.log.notified, c.log.notified]).toEqual([0, 1, 1]);
    expect(b.log.patches).toEqual([ACTIVITY]);
    const older = new PackageBroadcastChannel('test-channel'); // an older version of the SDK posts 1
    older.postMessage(1);
    await vi.waitFor(() => expect(b.log.patches).toEqual([ACTIVITY, undefined]));
    older.close();
  });

  it('suspended (frozen, bfcached), lets go of lock and channel, and takes them back on resume', async () => {
    const locks = new FakeLocks() as unknown as LockManager;
    const a = tab(new FakeHost({ locks }));
    const b = tab(new FakeHost({ locks }));
    await wait();
    expect(b.log.leader).toEqual([]);
    a.sync.suspend!();
    a.sync.suspend!(); // entering the bfcache reports pagehide and freeze
    await wait();
    expect(a.log.leader).toEqual([true, false]);
    expect(b.log.leader).toEqual([true]);
    b.sync.notify(ACTIVITY);
    await wait(20);
    expect(a.log.notified).toBe(0); // suspended: the channel is closed
    a.sync.resume!();
    b.sync.notify(ACTIVITY);
    await vi.waitFor(() => expect(a.log.notified).toBe(1));
  });

  it('close() stops notifications for good, even after a resume', async () => {
    const a = tab(new FakeHost({ locks: new FakeLocks() as unknown as LockManager }));
    const b = tab(new FakeHost({ locks: null }));
    a.sync.close();
    a.sync.resume!();
    b.sync.notify(ACTIVITY);
    await wait(20);
    expect(a.log.notified).toBe(0);
  });

  it('without BroadcastChannel and Web Locks it does nothing, and throws nothing', async () => {
    const { sync, log } = tab(new FakeHost({ locks: null }, null));
    sync.notify(ACTIVITY);
    await wait();
    expect(log).toEqual({ notified: 0, patches: [], leader: [] });
  });
});
