// The public types of `idle-logout/client`: the host's parts can be typed without the core's
// internals, which stay unexported. The @ts-expect-error lines fail `npm run typecheck` the moment
// one of them is exported again.
import { describe, expect, it } from 'vitest';
// @ts-expect-error the core's record is not public (SessionRecord stands for it)
import type { SharedRecord } from './index.ts';
// @ts-expect-error the core's patch is not public (SessionChange stands for it)
import type { Patch } from './index.ts';
import type { IdleLogoutHost, SessionRecord, SharedStore } from './index.ts';
import { memorySharedStore } from './shared-state.ts';

describe('the public types', () => {
  it("the SDK's own store is a public SharedStore: it keeps what it is given, opaque to the app", async () => {
    const store: SharedStore = memorySharedStore();
    const host: IdleLogoutHost = { storage: store };
    const change = { kind: 'activity', at: 1_000 } as const;
    const { record, applied } = await host.storage!.write(change);
    expect(applied).toBe(true);
    const read: SessionRecord | undefined = await store.read();
    expect(read).toEqual(record);
    expect(read?.v).toBe(1);
  });
});

export type Unexported = [SharedRecord, Patch];
