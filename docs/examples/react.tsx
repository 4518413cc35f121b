// React: the provider at the root (built-in dialog off) and the app's own dialog from the hook.
import { StrictMode, useEffect, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { IdleLogoutProvider, useIdleLogout } from '../../client/react.ts';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <IdleLogoutProvider options={{ endpoint: '/session', signedOutUrl: '/signed-out', dialog: false }}>
      <h1>My app</h1>
      <SessionWarning />
    </IdleLogoutProvider>
  </StrictMode>,
);

// A native modal <dialog>: in the top layer, focus moved into it, Escape means "stay signed in".
function SessionWarning() {
  const { phase, remainingMs, stay, signOut } = useIdleLogout();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (phase === 'warning' && !dialog.current!.open) dialog.current!.showModal();
    if (phase !== 'warning' && dialog.current!.open) dialog.current!.close();
  }, [phase]);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="warning-title"
      onCancel={(event) => {
        event.preventDefault(); // Escape: stay signed in, as the built-in dialog does
        stay();
      }}
    >
      <h2 id="warning-title">You will be signed out soon</h2>
      <p>Signing out in <span id="countdown">{Math.ceil((remainingMs ?? 0) / 1000)}</span> seconds.</p>
      <button onClick={stay}>Stay signed in</button>
      <button onClick={signOut}>Sign out</button>
    </dialog>
  );
}
