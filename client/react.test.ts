// `idle-logout/react` (react-dom/client + act) in happy-dom: the React page is this realm's window
// (client/testing/page-globals.ts); other tabs of the same origin are simulated tabs
// (client/testing/tabs.ts) sharing its clock, channel hub, store and the real server app.
// Run twice, once per supported major: React 19 in the `main` project, React 18 in `react-18`
// (vite.config.ts), which says which one it resolves `react` and `react-dom` to (`reactMajor`).
import { act, createElement as h, StrictMode, useEffect, version as reactVersion, type ReactNode } from 'react';
import { version as reactDomVersion } from 'react-dom';
import { createRoot, hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { IdleLogoutHost, IdleLogoutOptions } from './index.ts';
import { IdleLogoutProvider, useIdleLogout } from './react.ts';
import { currentHandle } from './start.ts';
import { SimOrigin } from './testing/tabs.ts';

// Before react-dom loads: it decides at import whether there is a DOM.
await vi.hoisted(async () => (await import('./testing/page-globals.ts')).installPageGlobals());

const T = 300_000;
const W = 60_000;

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** This realm's window as one tab of a simulated origin: the provider's options. */
function page(o: SimOrigin): IdleLogoutOptions & IdleLogoutHost {
  return { window, document, now: () => o.clock.now, fetch: o.server.fetch as typeof fetch, storage: o.store, tabSync: o.hub.factory, timers: o.clock };
}

function simOrigin(): SimOrigin {
  const o = new SimOrigin();
  cleanups.push(() => o.closeAll());
  return o;
}

/** Renders into a fresh container; errors React could not recover from are collected (act rethrows them), not thrown. */
async function render(node: ReactNode): Promise<{ root: Root; container: HTMLElement; errors: unknown[] }> {
  const container = document.body.appendChild(document.createElement('div'));
  const errors: unknown[] = [];
  const root = createRoot(container, { onUncaughtError: (error) => errors.push(error) });
  try {
    act(() => root.render(node));
  } catch (error) {
    errors.push(error);
  }
  cleanups.push(() => {
    act(() => root.unmount());
    container.remove();
  });
  return { root, container, errors };
}

const advance = (o: SimOrigin, ms: number): Promise<void> => act(() => o.clock.advance(ms));
const text = (container: HTMLElement, id: string): string | null | undefined => container.querySelector(`[data-id="${id}"]`)?.textContent;

/** The README's custom dialog, in short: the phase and the countdown, and two buttons during the warning. */
function Status({ id }: { id: string }): ReactNode {
  const { phase, remainingMs, signedOutReason, stay, signOut } = useIdleLogout();
  return h(
    'div',
    null,
    h('p', { 'data-id': id }, `${phase} ${remainingMs} ${signedOutReason}`),
    phase === 'warning' &&
      h('div', { role: 'alertdialog', 'data-id': `${id}-dialog` }, h('button', { onClick: stay }, 'Stay signed in'), h('button', { onClick: signOut }, 'Sign out')),
  );
}

const click = (container: HTMLElement, label: string): Promise<void> =>
  act(async () => [...container.querySelectorAll('button')].find((b) => b.textContent === label)!.click());

declare module 'vitest' {
  export interface ProvidedContext {
    /** The React major this project runs the binding on (vite.config.ts). */
    reactMajor: string;
  }
}

describe('IdleLogoutProvider + useIdleLogout', () => {
  it('runs on the React major its project names, react and react-dom alike', () => {
    const major = (semver: string): string => semver.split('.')[0]!;
    expect([major(reactVersion), major(reactDomVersion)]).toEqual([inject('reactMajor'), inject('reactMajor')]);
  });

  it('shows the phase and the countdown, once a second during the warning', async () => {
    const o = simOrigin();
    const { container } = await render(h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' })));
    await advance(o, 0);
    expect(text(container, 'a')).toBe(`active ${T} null`);
    await advance(o, T - W);
    expect(text(container, 'a')).toBe(`warning ${W} null`);
    await advance(o, 2_000);
    expect(text(container, 'a')).toBe('warning 58000 null');
  });

  it('a custom dialog: "stay" closes the warning here and in the other tab', async () => {
    const o = simOrigin();
    const { container } = await render(h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' })));
    const other = await act(() => o.open());
    await advance(o, T - W + 5_000);
    expect(other.handle.getPhase()).toBe('warning');
    await click(container, 'Stay signed in');
    await advance(o, 0);
    expect(o.server.count('/session/keepalive')).toBe(1);
    expect(text(container, 'a')).toBe(`active ${T} null`);
    expect(text(container, 'a-dialog')).toBeUndefined();
    expect(other.handle.getPhase()).toBe('active');
  });

  it('a custom dialog: "sign out" signs out here and in the other tab', async () => {
    const o = simOrigin();
    const { container } = await render(h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' })));
    const other = await act(() => o.open());
    await advance(o, T - W);
    await click(container, 'Sign out');
    await advance(o, 0);
    expect(await o.server.deadlineAt()).toBeUndefined(); // the server ended the session
    expect(text(container, 'a')).toBe('signed-out 0 user');
    expect(other.signedOut).toEqual(['user']);
  });

  it('hold: a component holding in an effect keeps every tab signed in; unmounting it releases the hold', async () => {
    const o = simOrigin();
    function Upload(): ReactNode {
      const { hold } = useIdleLogout();
      useEffect(() => hold('upload'), [hold]); // the release is the effect's cleanup
      return h('p', null, 'uploading');
    }
    const { root, container } = await render(
      h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' }), h(Upload)),
    );
    const other = await act(() => o.open());
    await advance(o, 3 * T); // no input anywhere: only the hold
    expect(text(container, 'a')).toMatch(/^active /);
    expect(other.handle.getPhase()).toBe('active');
    act(() => root.render(h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' }))));
    await advance(o, T - W);
    expect(text(container, 'a')).toBe(`warning ${W} null`); // the idle timeout counts from the release
    await advance(o, W);
    expect(other.signedOut).toEqual(['idle']);
  });

  it('one handle for the page however many components use it', async () => {
    const o = simOrigin();
    const { container } = await render(
      h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' }), h('section', null, h(Status, { id: 'b' }), h(Status, { id: 'c' }))),
    );
    await advance(o, T - W);
    expect(o.hub.opened).toBe(1);
    expect(['a', 'b', 'c'].map((id) => text(container, id))).toEqual(Array(3).fill(`warning ${W} null`));
    await act(async () => container.querySelector<HTMLButtonElement>('[data-id="c-dialog"] button')!.click());
    await advance(o, 0);
    expect(['a', 'b', 'c'].map((id) => text(container, id))).toEqual(Array(3).fill(`active ${T} null`));
  });

  it('StrictMode: mount, unmount, mount leaves one running handle, and unmounting stops it', async () => {
    const o = simOrigin();
    const { root, container } = await render(h(StrictMode, null, h(IdleLogoutProvider, { options: page(o) }, h(Status, { id: 'a' }))));
    await advance(o, 0);
    expect([o.hub.opened, o.hub.closed, o.hub.endpoints.length]).toEqual([2, 1, 1]);
    expect(text(container, 'a')).toBe(`active ${T} null`);
    await advance(o, T - W);
    // The default dialog too: exactly one.
    expect(document.querySelectorAll('[data-idle-logout-dialog]')).toHaveLength(1);
    act(() => root.unmount());
    expect(o.hub.endpoints).toHaveLength(0);
    expect(currentHandle).toBeUndefined();
    expect(document.querySelectorAll('[data-idle-logout-dialog]')).toHaveLength(0);
  });

  it('a new key restarts the provider with its new options (the old handle stops first)', async () => {
    const o = simOrigin();
    const app = (key: string, countdownInTitle: boolean) => h(IdleLogoutProvider, { key, options: { ...page(o), dialog: false, countdownInTitle } }, h(Status, { id: 'a' }));
    const { root, container, errors } = await render(app('one', false));
    const before = currentHandle;
    await act(async () => root.render(app('two', true)));
    await advance(o, T - W);
    expect(errors).toEqual([]);
    expect(currentHandle).not.toBe(before);
    expect([o.hub.opened, o.hub.endpoints.length]).toEqual([2, 1]);
    expect(text(container, 'a')).toBe(`warning ${W} null`);
    expect(document.title).toMatch(/^1:00/);
  });

  it('a second provider, nested or beside the first, throws and says why', async () => {
    const o = simOrigin();
    const nested = await render(h(IdleLogoutProvider, { options: page(o) }, h(IdleLogoutProvider, { options: page(o) })));
    expect(String(nested.errors[0])).toMatch(/one <IdleLogoutProvider> per page/);
    act(() => nested.root.unmount());
    const first = await render(h(IdleLogoutProvider, { options: page(o) }, h(Status, { id: 'a' })));
    const second = await render(h(IdleLogoutProvider, { options: page(o) }));
    expect(String(second.errors[0])).toMatch(/one <IdleLogoutProvider> per page/);
    await advance(o, 0);
    expect(text(first.container, 'a')).toBe(`active ${T} null`);
    expect(o.hub.endpoints).toHaveLength(1);
  });

  it('hydrates the server\'s "starting" markup without a mismatch, then starts', async () => {
    const o = simOrigin();
    const app = h(IdleLogoutProvider, { options: { ...page(o), dialog: false } }, h(Status, { id: 'a' }));
    const container = document.body.appendChild(document.createElement('div'));
    container.innerHTML = renderToString(app);
    expect(text(container, 'a')).toBe('starting null null');
    const errors: unknown[] = [];
    const root = await act(async () => hydrateRoot(container, app, { onRecoverableError: (error) => errors.push(error) }));
    cleanups.push(() => act(() => root.unmount()));
    await advance(o, 0);
    expect(errors).toEqual([]);
    expect(text(container, 'a')).toBe(`active ${T} null`);
  });

  it('useIdleLogout() without a provider says what is missing', async () => {
    const { errors } = await render(h(Status, { id: 'a' }));
    expect(String(errors[0])).toMatch(/useIdleLogout\(\) needs an <IdleLogoutProvider> above it/);
  });

  it('stay and signOut keep their identity across renders (safe in effect dependencies)', async () => {
    const o = simOrigin();
    const seen: unknown[] = [];
    function Spy(): ReactNode {
      const { stay, signOut } = useIdleLogout();
      seen.push(stay, signOut);
      return null;
    }
    await render(h(IdleLogoutProvider, { options: page(o) }, h(Spy)));
    // One act per step: React 18 renders an async act's updates once, when it ends (19 also while
    // it awaits), so a single act over the whole time would give 18 one render for all the changes.
    await advance(o, T - W);
    for (let second = 1; second <= 3; second++) await advance(o, 1_000);
    // Renders: before the start, then with the handle, then on each change; two functions throughout.
    expect(seen.length).toBeGreaterThan(6);
    expect(new Set(seen.slice(2)).size).toBe(2);
  });
});
