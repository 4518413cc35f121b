// Runs in Node with no DOM: rendering the provider and the hook on the server must not touch a
// browser API, and reads the stable "not started" snapshot (getServerSnapshot).
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { IdleLogoutProvider, useIdleLogout } from './react.ts';

function Status(): ReactNode {
  const { phase, remainingMs, reachable, signedOutReason } = useIdleLogout();
  return h('p', null, `${phase} ${remainingMs} ${reachable} ${signedOutReason}`);
}

describe('server-side rendering', () => {
  it('renders "starting" without a window, and starts nothing', () => {
    expect(typeof window).toBe('undefined');
    const html = renderToString(h(IdleLogoutProvider, { options: { endpoint: '/session' } }, h(Status), h(Status)));
    expect(html).toBe('<p>starting null true null</p><p>starting null true null</p>');
  });
});
