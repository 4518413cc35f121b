// The public entry of `idle-logout/react`: a provider that starts idle logout once for the page, and
// a hook that reads it through useSyncExternalStore over the handle's subscribe/getSnapshot pair
// (external-store.ts). Its build keeps `react` and `idle-logout/client` as imports (vite.config.ts),
// so the app has one copy of each and this file adds only its own few hundred bytes.
//
// Plain `createElement`, not JSX: the entry needs no JSX transform in the build or in the app.
import { createContext, createElement, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactElement, type ReactNode } from 'react';
import { NOT_STARTED } from './external-store.ts';
import { startIdleLogout, type IdleLogoutHandle, type IdleLogoutHost, type IdleLogoutOptions, type IdleLogoutSnapshot } from './index.ts';

export type { IdleLogoutOptions, IdleLogoutSnapshot };

export interface IdleLogoutProviderProps {
  /** As `startIdleLogout(options)` (host injectables included). Read once, when the provider mounts: to change them, give it a new `key`. */
  options?: IdleLogoutOptions & IdleLogoutHost;
  children?: ReactNode;
}

/** What `useIdleLogout()` returns: the snapshot, and the actions of the dialog's buttons. */
export interface IdleLogoutState extends IdleLogoutSnapshot {
  /** As "Stay signed in": a keepalive now; the warning closes in every tab once the server extends the session. */
  stay(): void;
  /** Signs out in every tab now (reason 'user'). */
  signOut(): void;
  /**
   * `handle.hold(reason)`: keeps the session alive until the returned release is called. Before the
   * provider has started there is nothing to hold (the release does nothing): hold in an effect
   * that depends on `hold`, releasing in its cleanup, and a restarted handle (StrictMode) is held again.
   */
  hold(reason?: string): () => void;
}

/** undefined: no provider above; null: a provider that has not started yet (server, first render). */
const HandleContext = createContext<IdleLogoutHandle | null | undefined>(undefined);

/** Set while a provider's handle runs: `startIdleLogout` keeps one handle per page and would stop the other's. */
let running = false;

const notStarted = (): IdleLogoutSnapshot => NOT_STARTED;
const noSubscription = (): (() => void) => () => {};

/**
 * Starts idle logout for the page once it is mounted (in an effect: nothing runs during server-side
 * rendering) and stops it when it unmounts; StrictMode's mount, unmount, mount starts, stops and
 * starts again, leaving one handle. One per page: a second provider, nested or not, throws and says so.
 *
 * @example
 * import { IdleLogoutProvider } from 'idle-logout/react';
 * root.render(
 *   <IdleLogoutProvider options={{ endpoint: '/session', signedOutUrl: '/signed-out' }}>
 *     <App />
 *   </IdleLogoutProvider>,
 * );
 */
export function IdleLogoutProvider({ options, children }: IdleLogoutProviderProps): ReactElement {
  if (useContext(HandleContext) !== undefined) throw new Error(ONE_PROVIDER);
  const [handle, setHandle] = useState<IdleLogoutHandle | null>(null);
  useEffect(() => {
    if (running) throw new Error(ONE_PROVIDER);
    const started = startIdleLogout(options);
    running = true;
    setHandle(started);
    return () => {
      running = false;
      started.stop();
      setHandle(null);
    };
    // Options are read once (documented above): an inline object literal is new on every render,
    // and restarting on each would re-read the session and reset the dialog.
  }, []);
  return createElement(HandleContext.Provider, { value: handle }, children);
}

const ONE_PROVIDER =
  'idle-logout: one <IdleLogoutProvider> per page (the session is one for every tab and component); ' +
  'a second one would stop the first. Call useIdleLogout() in any component below the first instead.';

/**
 * The session as this tab shows it, and its actions; renders again when the phase, the countdown
 * (once a second during the warning), reachability or the sign-out reason changes. Every component
 * that calls it shares the provider's one handle. Before the provider has started (server-side
 * rendering, the first render) it reads phase 'starting' and the actions do nothing.
 *
 * @example
 * function Warning() {
 *   const { phase, remainingMs, stay, signOut } = useIdleLogout();
 *   if (phase !== 'warning') return null;
 *   return <dialog open>Signing out in {Math.ceil(remainingMs! / 1000)} s
 *     <button onClick={stay}>Stay signed in</button> <button onClick={signOut}>Sign out</button></dialog>;
 * }
 */
export function useIdleLogout(): IdleLogoutState {
  const handle = useContext(HandleContext);
  if (handle === undefined) throw new Error('idle-logout: useIdleLogout() needs an <IdleLogoutProvider> above it.');
  const snapshot = useSyncExternalStore(handle?.subscribe ?? noSubscription, handle?.getSnapshot ?? notStarted, notStarted);
  // The same functions for as long as the handle lives: safe in effect and callback dependencies.
  const actions = useMemo(
    () => ({
      stay: () => handle?.staySignedIn(),
      signOut: () => handle?.signOut(),
      hold: (reason?: string) => handle?.hold(reason) ?? (() => {}),
    }),
    [handle],
  );
  return useMemo(() => ({ ...snapshot, ...actions }), [snapshot, actions]);
}
