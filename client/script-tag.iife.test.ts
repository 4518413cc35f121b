// @vitest-environment happy-dom
// The built script-tag file itself (vite.config.ts, mode "iife"), run as a classic script would run:
// what `IdleLogout` exposes, and that the build's broadcast-channel stand-ins leave it working.
import 'fake-indexeddb/auto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { build, type Rolldown } from 'vite';
import type { Patch } from './core.ts';
import { memorySharedStore } from './shared-state.ts';
import type { IdleLogoutHandle, IdleLogoutHost, IdleLogoutOptions } from './start.ts';

interface IdleLogoutGlobal {
  handle: IdleLogoutHandle | undefined;
  startIdleLogout(options?: IdleLogoutOptions & IdleLogoutHost): IdleLogoutHandle;
  hold(reason?: string): () => void;
}

let code = '';
beforeAll(async () => {
  const output = (await build({ mode: 'iife', logLevel: 'silent', build: { write: false, sourcemap: false } })) as
    | Rolldown.RolldownOutput
    | Rolldown.RolldownOutput[];
  const chunk = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).find((c) => c.type === 'chunk');
  code = (chunk as Rolldown.OutputChunk).code;
}, 60_000);

const runScript = (): IdleLogoutGlobal => new Function(`${code};return IdleLogout;`)() as IdleLogoutGlobal;
const live = async (): Promise<Response> =>
  new Response(JSON.stringify({ state: 'active', remainingMs: 300_000, idleTimeoutMs: 300_000, warningMs: 60_000 }), { status: 200 });

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  Reflect.deleteProperty(document, 'currentScript');
});

describe('dist/idle-logout.iife.js', () => {
  it("exposes exactly the names the README's script-tag section documents", async () => {
    const readme = await readFile(fileURLToPath(new globalThis.URL('../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('### One script tag'), readme.indexOf('### npm'));
    const documented = new Set([...section.matchAll(/`IdleLogout\.(\w+)/g)].map(([, name]) => name));
    expect(Object.keys(runScript()).sort()).toEqual([...documented].sort());
  });

  it('IdleLogout.handle is the current handle: it follows startIdleLogout() and stop()', async () => {
    const IdleLogout = runScript(); // no currentScript here: nothing autostarts
    expect(IdleLogout.handle).toBeUndefined();
    const first = IdleLogout.startIdleLogout({ fetch: live, dialog: false });
    expect(IdleLogout.handle).toBe(first);
    const second = IdleLogout.startIdleLogout({ fetch: live, dialog: false });
    expect(IdleLogout.handle).toBe(second);
    await vi.waitFor(() => expect(second.getPhase()).toBe('active'));
    second.stop();
    expect(IdleLogout.handle).toBeUndefined();
  });

  it('IdleLogout.hold(reason) holds on the running handle: a lease in the shared record until released', async () => {
    const IdleLogout = runScript();
    IdleLogout.hold('before start')(); // nothing to hold yet: no error, nothing written
    const patches: Patch[] = [];
    const store = memorySharedStore();
    const storage = { read: store.read, write: (patch: Patch) => (patches.push(patch), store.write(patch)) };
    const handle = IdleLogout.startIdleLogout({ fetch: live, dialog: false, storage });
    await vi.waitFor(() => expect(handle.getPhase()).toBe('active'));
    const release = IdleLogout.hold('upload');
    const holds = () => patches.filter((patch) => patch.kind === 'hold');
    expect(holds()).toEqual([{ kind: 'hold', tab: expect.any(String), reason: 'upload', at: expect.any(Number), until: expect.any(Number) }]);
    expect(holds()[0]!.until).toBeGreaterThan(Date.now() + 60_000);
    release();
    expect(holds()[1]).toMatchObject({ reason: '' });
    expect(holds()[1]!.until).toBeLessThanOrEqual(Date.now());
    handle.stop();
  });

  it('starts where the browser has no native BroadcastChannel: no channel, the shared record still works', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    const IdleLogout = runScript();
    const handle = IdleLogout.startIdleLogout({ fetch: live, dialog: false });
    await vi.waitFor(() => expect(handle.getPhase()).toBe('active'));
    handle.staySignedIn(); // writes the record; with no channel there is nobody to notify
    await vi.waitFor(() => expect(handle.getRemainingMs()).toBeGreaterThan(0));
    // The script-tag file carries no localStorage fallback (vite.config.ts): nothing is posted there.
    expect(localStorage.getItem('pubkey.broadcastChannel-idle-logout')).toBeNull();
    expect(handle.getPhase()).toBe('active');
    handle.stop();
  });

  it('from its <script> tag alone: every dialog string, no "Sign out" button, credentials, and the timeout URL', async () => {
    const tag = document.createElement('script');
    const attributes = {
      'data-signed-out-url': '/signed-out',
      'data-timeout-url': '/timed-out',
      'data-credentials': 'include',
      'data-sign-out-button': 'false',
      'data-locale': 'fr',
      'data-text-heading': 'Vous allez être déconnecté',
      'data-text-message': 'Déconnexion dans {time}.',
      'data-text-stay-signed-in': 'Rester connecté',
      'data-text-second-one': '{n} seconde',
      'data-text-second-other': '{n} secondes',
    };
    for (const [name, value] of Object.entries(attributes)) tag.setAttribute(name, value);
    Object.defineProperty(document, 'currentScript', { value: tag, configurable: true });
    // A short schedule: warning after 0.5 s, signed out (idle) at 2.5 s.
    const requests: [string, RequestInit | undefined][] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push([String(input), init]);
      const body = { state: 'active', remainingMs: 2_500, idleTimeoutMs: 2_500, warningMs: 2_000, absoluteRemainingMs: 4e7 };
      return new Response(JSON.stringify(body), { status: 200 });
    });
    const navigations: string[] = [];
    vi.spyOn(window.location, 'assign').mockImplementation((url) => void navigations.push(String(url)));
    const IdleLogout = runScript();
    const root = () => document.querySelector('[data-idle-logout-dialog]')?.shadowRoot;
    await vi.waitFor(() => expect(root()?.querySelector('dialog')?.open).toBe(true), { timeout: 5_000 });
    const dialog = root()!.querySelector('dialog')!;
    expect(dialog.getAttribute('lang')).toBe('fr');
    expect(root()!.querySelector('h2')!.textContent).toBe('Vous allez être déconnecté');
    expect(root()!.getElementById('m')!.textContent).toMatch(/^Déconnexion dans \d+ secondes?\.$/);
    const shown = [...root()!.querySelectorAll('button')].filter((button) => !button.hidden);
    expect(shown.map((button) => button.textContent)).toEqual(['Rester connecté']);
    expect(root()!.activeElement).toBe(shown[0]);
    await vi.waitFor(() => expect(navigations).toEqual([`${location.origin}/timed-out?reason=idle`]), { timeout: 5_000 });
    expect(requests.length).toBeGreaterThan(0);
    for (const [, init] of requests) expect(init?.credentials).toBe('include');
    IdleLogout.handle?.stop();
  });
});
