// @vitest-environment happy-dom
// The built script-tag file itself (vite.config.ts, mode "iife"), run as a classic script would run:
// what `IdleLogout` exposes, and that the build's broadcast-channel stand-ins leave it working.
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { build, type Rolldown } from 'vite';
import type { IdleLogoutHandle, IdleLogoutOptions } from './start.ts';

interface IdleLogoutGlobal {
  handle: IdleLogoutHandle | undefined;
  startIdleLogout(options?: IdleLogoutOptions): IdleLogoutHandle;
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

afterEach(() => vi.unstubAllGlobals());

describe('dist/idle-logout.iife.js', () => {
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
});
