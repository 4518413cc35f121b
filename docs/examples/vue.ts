// Vue 3: the session as a shallowRef, in a composable (call it in setup() or an effect scope).
import { onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import type { IdleLogoutHandle, IdleLogoutSnapshot } from '../../client/index.ts';

export function useIdleLogout(handle: IdleLogoutHandle): Readonly<ShallowRef<IdleLogoutSnapshot>> {
  const snapshot = shallowRef(handle.getSnapshot());
  onScopeDispose(handle.subscribe(() => (snapshot.value = handle.getSnapshot())));
  return snapshot;
}
