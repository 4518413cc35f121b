// @vitest-environment node
// The README's Vue, Svelte and Solid examples (the files beside this one), each bound to a real
// handle on simulated tabs (client/testing/tabs.ts) with the framework's own reactivity; and the README
// shows them exactly as they are here.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createComputed, createRoot } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { effectScope, watchEffect } from 'vue';
import type { IdleLogoutSnapshot } from '../../client/index.ts';
import { SimOrigin, type SimTab } from '../../client/testing/tabs.ts';
import { createIdleLogout } from './solid.ts';
import { idleLogoutStore } from './svelte.ts';
import { useIdleLogout } from './vue.ts';

// In Node, 'solid-js' resolves to its server build, whose signals never update (it renders once);
// apps run the browser build.
const { solidBrowserBuild } = vi.hoisted(() => ({ solidBrowserBuild: 'solid-js/dist/solid.js' }));
vi.mock('solid-js', () => import(solidBrowserBuild));

const T = 300_000;
const W = 60_000;

const opened: SimOrigin[] = [];
afterEach(() => opened.splice(0).forEach((o) => o.closeAll()));
/** A tab whose handle counts its live subscriptions: a binding must let go of its own. */
async function tab(): Promise<{ o: SimOrigin; tab: SimTab; subscriptions: { live: number } }> {
  const o = new SimOrigin();
  opened.push(o);
  const first = await o.open();
  const subscriptions = { live: 0 };
  const { handle } = first;
  const subscribe = handle.subscribe;
  handle.subscribe = (listener) => {
    subscriptions.live++;
    const unsubscribe = subscribe(listener);
    return () => {
      subscriptions.live--;
      unsubscribe();
    };
  };
  return { o, tab: first, subscriptions };
}

/** What a binding showed, from the start to one second into the warning; after `letGo()`, nothing more. */
async function expectFollowsThenLetsGo({ o, subscriptions }: Awaited<ReturnType<typeof tab>>, seen: string[], letGo: () => void): Promise<void> {
  expect(seen).toEqual([`active ${T}`]);
  expect(subscriptions.live).toBe(1);
  await o.clock.advance(T - W + 1_000);
  expect(seen).toEqual([`active ${T}`, `warning ${W}`, 'warning 59000']);
  letGo();
  expect(subscriptions.live).toBe(0);
  await o.clock.advance(1_000);
  expect(seen).toHaveLength(3);
}

const shown = (s: IdleLogoutSnapshot): string => `${s.phase} ${s.remainingMs}`;

describe('framework examples', () => {
  it('Vue: the shallowRef follows the session, and lets go when its scope is disposed', async () => {
    const t = await tab();
    const { handle } = t.tab;
    const seen: string[] = [];
    const scope = effectScope();
    scope.run(() => {
      const idle = useIdleLogout(handle);
      watchEffect(() => seen.push(shown(idle.value)), { flush: 'sync' });
    });
    await expectFollowsThenLetsGo(t, seen, () => scope.stop());
  });

  it('Svelte: a store by the store contract: the value now, each change, then nothing after unsubscribing', async () => {
    const t = await tab();
    const { handle } = t.tab;
    const seen: string[] = [];
    const unsubscribe = idleLogoutStore(handle).subscribe((s) => seen.push(shown(s)));
    await expectFollowsThenLetsGo(t, seen, unsubscribe);
  });

  it('Solid: the signal follows the session, and lets go when its root is disposed', async () => {
    const t = await tab();
    const { handle } = t.tab;
    const seen: string[] = [];
    const dispose = createRoot((dispose) => {
      const idle = createIdleLogout(handle);
      createComputed(() => seen.push(shown(idle())));
      return dispose;
    });
    await expectFollowsThenLetsGo(t, seen, dispose);
  });

  it('the README shows each example as it is here (importing the package)', () => {
    // Paths, not URLs: happy-dom's URL is not the one Node's fs takes.
    const here = dirname(fileURLToPath(import.meta.url));
    const readme = readFileSync(join(here, '../../README.md'), 'utf8');
    // react.tsx runs in Chromium in e2e/react.test.ts.
    for (const file of ['vue.ts', 'svelte.ts', 'solid.ts', 'react.tsx']) {
      const code = readFileSync(join(here, file), 'utf8')
        .replace(/^\/\/.*\n/, '') // the file's own heading comment
        .replace("'../../client/index.ts'", "'idle-logout/client'")
        .replace("'../../client/react.ts'", "'idle-logout/react'");
      expect(readme, `README.md should show docs/examples/${file}`).toContain(code.trim());
    }
  });
});
