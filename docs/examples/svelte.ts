// Svelte: the session as a store (Svelte's store contract, so `$idle.phase` works in components).
import type { IdleLogoutHandle, IdleLogoutSnapshot } from '../../client/index.ts';

export function idleLogoutStore(handle: IdleLogoutHandle) {
  return {
    subscribe(run: (snapshot: IdleLogoutSnapshot) => void): () => void {
      run(handle.getSnapshot());
      return handle.subscribe(() => run(handle.getSnapshot()));
    },
  };
}
