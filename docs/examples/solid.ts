// Solid: the session as a signal, unsubscribed when its owner (component or root) is disposed.
import { createSignal, onCleanup, type Accessor } from 'solid-js';
import type { IdleLogoutHandle, IdleLogoutSnapshot } from '../../client/index.ts';

export function createIdleLogout(handle: IdleLogoutHandle): Accessor<IdleLogoutSnapshot> {
  const [snapshot, setSnapshot] = createSignal(handle.getSnapshot());
  onCleanup(handle.subscribe(() => setSnapshot(handle.getSnapshot())));
  return snapshot;
}
