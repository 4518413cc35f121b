// A React 19 page as an app would write it with `idle-logout/react`: StrictMode, the provider at the
// root with the built-in dialog off, and the app's own dialog from useIdleLogout() — a native modal
// <dialog> (top layer, Escape means "stay"). e2e/react.test.ts builds it with Vite against the
// shipped dist/client/react.js. Plain createElement: the repo's TypeScript has no JSX set up; the
// README's React example is this component in JSX.
import { createElement as h, StrictMode, useEffect, useRef, type ReactNode, type SyntheticEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { IdleLogoutProvider, useIdleLogout } from '../../client/react.ts';

function SessionWarning(): ReactNode {
  const { phase, remainingMs, stay, signOut } = useIdleLogout();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current!;
    if (phase === 'warning' && !element.open) element.showModal();
    if (phase !== 'warning' && element.open) element.close();
  }, [phase]);
  return h(
    'dialog',
    { ref: dialog, 'aria-labelledby': 'warning-title', onCancel: (event: SyntheticEvent) => (event.preventDefault(), stay()) },
    h('h2', { id: 'warning-title' }, 'You will be signed out soon'),
    h('p', null, 'Signing out in ', h('span', { id: 'countdown' }, Math.ceil((remainingMs ?? 0) / 1000)), ' seconds.'),
    h('button', { onClick: stay }, 'Stay signed in'),
    h('button', { onClick: signOut }, 'Sign out'),
  );
}

function Phase(): ReactNode {
  return h('p', { id: 'phase' }, useIdleLogout().phase);
}

createRoot(document.getElementById('root')!).render(
  h(StrictMode, null, h(IdleLogoutProvider, { options: { dialog: false, signedOutUrl: '/signed-out' } }, h('h1', null, 'React app'), h(Phase), h(SessionWarning))),
);
