// The shells wired to the core: several simulated tabs, each its own happy-dom window, share one
// clock, one channel hub, one store and the real server app on that clock (client/testing/).
// The file runs in Node, not in a happy-dom global: the server app's requests must carry the
// `Cookie` and `Sec-Fetch-Site` headers, which happy-dom's Request drops as a browser's would.
import { Window } from 'happy-dom';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BASE_PATH, KEEPALIVE_PATH, LOGOUT_PATH, STATUS_PATH } from '../protocol/index.ts';
import { keepaliveIntervalMs } from './core.ts';
import { memorySharedStore, STORE_WAIT_BOUND_MS, type SharedStore } from './shared-state.ts';
import { createIdleLogout, startIdleLogout } from './start.ts';
import { T0, settle } from './testing/clock.ts';
import { PAGE_ORIGIN } from './testing/server.ts';
import { hangingStore } from './testing/stores.ts';
import { SimOrigin, type SimTab } from './testing/tabs.ts';

const T = 300_000;
const W = 60_000;
const I = keepaliveIntervalMs(T, W);
const STATUS = DEFAULT_BASE_PATH + STATUS_PATH;
const KEEPALIVE = DEFAULT_BASE_PATH + KEEPALIVE_PATH;
const LOGOUT = DEFAULT_BASE_PATH + LOGOUT_PATH;

let origins: SimOrigin[] = [];
function origin(...args: ConstructorParameters<typeof SimOrigin>): SimOrigin {
  const o = new SimOrigin(...args);
  origins.push(o);
  return o;
}
afterEach(() => {
  for (const o of origins) o.closeAll();
  origins = [];
});

describe('start', () => {
  it('asks the server for the status and shows active', async () => {
    const o = origin();
    const tab = await o.open();
    expect(o.server.calls[0]).toMatchObject({ method: 'GET', path: STATUS });
    expect(o.server.calls[0]!.init.credentials).toBe('same-origin');
    expect(tab.handle.getPhase()).toBe('active');
    expect(tab.handle.getRemainingMs()).toBe(T);
    expect(tab.named('active')).toEqual([{ remainingMs: T }]);
  });

  it('401 at start → signed out (server): callback and signed-out URL with the reason', async () => {
    const o = origin();
    await o.server.endSession();
    const tab = await o.open({ signedOutUrl: '/signed-out' });
    expect(tab.handle.getPhase()).toBe('signed-out');
    expect(tab.signedOut).toEqual(['server']);
    expect(tab.navigations).toEqual(['https://app.test/signed-out?reason=server']);
    expect(o.server.count(LOGOUT)).toBe(0);
  });

  it('uses the configured endpoint', async () => {
    const o = origin(undefined, { basePath: '/api/idle' });
    const tab = await o.open({ endpoint: '/api/idle/' });
    expect(o.server.calls.map((c) => c.path)).toEqual(['/api/idle']);
    expect(tab.handle.getPhase()).toBe('active');
  });

  it('reaches an API on another origin of the site: an absolute endpoint with credentials "include"', async () => {
    const o = origin(undefined, { allowedOrigins: [PAGE_ORIGIN] });
    const tab = await o.open({ endpoint: 'https://api.app.test/session', credentials: 'include' });
    expect(tab.handle.getPhase()).toBe('active');
    tab.handle.staySignedIn(); // a POST from the page's origin, which the API allows
    await settle();
    expect(o.server.calls.map((c) => [c.url, c.init.credentials])).toEqual([
      ['https://api.app.test/session', 'include'],
      ['https://api.app.test/session/keepalive', 'include'],
    ]);
    expect(tab.named('keepalive')).toHaveLength(1);
    // With fetch's default credentials the cookie stays home, and the API sees no session.
    const other = origin(undefined, { allowedOrigins: [PAGE_ORIGIN] });
    expect((await other.open({ endpoint: 'https://api.app.test/session' })).signedOut).toEqual(['server']);
  });

  it('rejects invalid options with a message that says what to change', () => {
    const window = new Window() as unknown as globalThis.Window;
    expect(() => startIdleLogout({ window, endpoint: '' })).toThrow(/endpoint/);
    expect(() => startIdleLogout({ window, activityThrottleMs: -1 })).toThrow(/activityThrottleMs/);
  });
});

describe('warning in every tab', () => {
  it('every tab shows the dialog and the countdown in its title; ticks once a second while visible', async () => {
    const o = origin();
    const tabs = [await o.open(), await o.open(), await o.open()];
    await o.clock.advance(T - W);
    for (const tab of tabs) {
      expect(tab.handle.getPhase()).toBe('warning');
      expect(tab.named('warning')).toEqual([{ remainingMs: W }]);
      expect(tab.dialogOpen()).toBe(true);
      expect(tab.document.title).toMatch(/^1:00/);
    }
    await o.clock.advance(3_000);
    expect(tabs[0]!.named('tick')).toEqual([{ remainingMs: W }, { remainingMs: 59_000 }, { remainingMs: 58_000 }, { remainingMs: 57_000 }]);
    expect(tabs[0]!.document.title).toMatch(/^0:57/);
  });

  it('a hidden tab emits no tick and sets no per-second timer, but keeps a coarse title', async () => {
    const o = origin();
    const tab = await o.open();
    tab.setVisible(false);
    await settle();
    await o.clock.advance(T - W);
    const ticksBefore = tab.named('tick').length;
    const firedBefore = o.clock.fired;
    await o.clock.advance(20_000);
    expect(tab.named('tick').length).toBe(ticksBefore);
    expect(o.clock.fired - firedBefore).toBe(2); // at 0:50 and 0:40, not 20 times
    expect(tab.document.title).toMatch(/^0:40/);
    tab.setVisible(true);
    await settle();
    expect(tab.named('tick').at(-1)).toEqual({ remainingMs: 40_000 });
  });

  it('"stay" in one tab closes the warning everywhere with one keepalive, and restores the titles', async () => {
    const o = origin();
    const tabs = [await o.open(), await o.open(), await o.open()];
    await o.clock.advance(T - W + 5_000);
    tabs[1]!.handle.staySignedIn();
    await settle();
    expect(o.server.count(KEEPALIVE)).toBe(1);
    for (const tab of tabs) {
      expect(tab.handle.getPhase()).toBe('active');
      expect(tab.dialogOpen()).toBe(false);
      expect(tab.document.title).toBe('App');
      expect(tab.named('stay')).toHaveLength(1);
    }
    expect(await o.server.deadlineAt()).toBe(o.clock.now + T);
  });

  it('the dialog\'s own "Stay signed in" button works the same', async () => {
    const o = origin();
    const tabs = [await o.open(), await o.open()];
    await o.clock.advance(T - W);
    const buttons = [...tabs[0]!.dialogRoot()!.querySelectorAll('button')];
    const stay = buttons.find((b) => /stay/i.test(b.textContent ?? ''))!;
    stay.click();
    await settle();
    expect(tabs.map((t) => t.handle.getPhase())).toEqual(['active', 'active']);
  });

  it('input alone does not dismiss the warning; visibilitychange and focus are never activity', async () => {
    const o = origin();
    const tab = await o.open();
    // Looking at the tab and waking the laptop, over and over, for the whole session.
    for (let t = 0; t < T - W; t += 10_000) {
      tab.setVisible(true);
      tab.window.dispatchEvent(new tab.window.Event('focus'));
      tab.window.dispatchEvent(new tab.window.Event('pageshow'));
      await o.clock.advance(10_000);
    }
    expect(o.server.count(KEEPALIVE)).toBe(0);
    expect(tab.handle.getPhase()).toBe('warning');
    tab.input();
    tab.input('keydown');
    await o.clock.advance(1_000);
    expect(tab.handle.getPhase()).toBe('warning');
    expect(o.server.count(KEEPALIVE)).toBe(0);
  });

  it('with activityDismissesWarning, input closes the warning as "stay"', async () => {
    const o = origin();
    const tab = await o.open({ activityDismissesWarning: true });
    await o.clock.advance(T - W + 1_000);
    tab.input();
    await settle();
    expect(tab.handle.getPhase()).toBe('active');
    expect(o.server.count(KEEPALIVE)).toBe(1);
  });

  it('a tab opened during the warning shows the same countdown at once', async () => {
    const o = origin();
    const first = await o.open();
    await o.clock.advance(T - 42_000);
    // No page request here, only the SDK's status read, which never extends (an app marks its page loads as background).
    const late = await o.open();
    expect(late.named('warning')).toEqual([{ remainingMs: 42_000 }]);
    expect(late.handle.getRemainingMs()).toBe(first.handle.getRemainingMs());
    expect(late.dialogOpen()).toBe(true);
  });
});

describe('sign-out', () => {
  it('"sign out" in one tab signs out every tab (reason user), one logout POST with keepalive: true', async () => {
    const o = origin();
    const tabs = [await o.open({ signedOutUrl: '/bye' }), await o.open({ signedOutUrl: '/bye' }), await o.open({ signedOutUrl: '/bye' })];
    tabs[2]!.handle.signOut();
    await settle();
    expect(o.server.count(LOGOUT)).toBe(1);
    const logout = o.server.calls.find((c) => c.path === LOGOUT)!;
    expect(logout.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'same-origin' });
    for (const tab of tabs) {
      expect(tab.signedOut).toEqual(['user']);
      expect(tab.navigations).toEqual(['https://app.test/bye?reason=user']);
      expect(tab.named('signed-out')).toEqual([{ reason: 'user' }]);
    }
  });

  it('at the deadline every tab signs out (idle), with one logout for the origin', async () => {
    const o = origin();
    const tabs = [await o.open(), await o.open(), await o.open()];
    await o.clock.advance(T);
    expect(tabs.map((t) => t.signedOut)).toEqual([['idle'], ['idle'], ['idle']]);
    expect(o.server.count(LOGOUT)).toBe(1);
    expect(tabs.every((t) => !t.dialogOpen() && t.document.title === 'App')).toBe(true);
  });

  it('beforeSignOut runs first and may take its time, up to the timeout', async () => {
    const o = origin();
    const order: string[] = [];
    const tab = await o.open({
      beforeSignOut: (reason) => {
        order.push(`save:${reason}`);
        return new Promise<void>(() => {}); // never settles: the timeout bounds it
      },
      beforeSignOutTimeoutMs: 2_000,
      onSignedOut: () => order.push('signed-out'),
    });
    tab.handle.signOut();
    await settle();
    expect(order).toEqual(['save:user']);
    expect(o.server.count(LOGOUT)).toBe(0);
    await o.clock.advance(2_000);
    expect(order).toEqual(['save:user', 'signed-out']);
    expect(o.server.count(LOGOUT)).toBe(1);
  });

  it('beforeSignOut runs in every tab (each saves its own work) before that tab signs out', async () => {
    const o = origin();
    const saved: string[] = [];
    const tabs = [];
    for (const name of ['a', 'b', 'c']) tabs.push(await o.open({ beforeSignOut: (reason) => void saved.push(`${name}:${reason}`) }));
    tabs[0]!.handle.signOut();
    await settle();
    expect(saved.sort()).toEqual(['a:user', 'b:user', 'c:user']);
    expect(tabs.map((t) => t.signedOut)).toEqual([['user'], ['user'], ['user']]);
    expect(o.server.count(LOGOUT)).toBe(1);
  });

  it('no keepalive event after signed-out, even when the answer lands after the sign-out', async () => {
    const o = origin();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // The server extends the session, but the answer reaches the tab only after another tab signed out.
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await o.server.fetch(input, init);
      if (String(input).endsWith('/keepalive')) await held;
      return response;
    }) as typeof globalThis.fetch;
    const tab = await o.open({ fetch });
    const other = await o.open();
    tab.handle.staySignedIn();
    await settle();
    other.handle.signOut();
    await settle();
    release();
    await settle();
    const names = tab.events.map(([name]) => name);
    expect(names).toContain('signed-out');
    expect(names.slice(names.indexOf('signed-out'))).toEqual(['signed-out']);
  });

  it('after sleep past the deadline, goes straight to signed out on wake without showing active or warning', async () => {
    const o = origin();
    const tab = await o.open();
    const eventsBefore = tab.events.length;
    o.clock.sleep(T + 3_600_000);
    tab.setVisible(true); // the lid opens: visibilitychange
    await settle();
    expect(tab.events.slice(eventsBefore).map(([name]) => name)).toEqual(['signed-out']);
    expect(tab.signedOut).toEqual(['idle']);
  });
});

describe('the back/forward cache', () => {
  /** pagehide/pageshow as Chromium fires them around the cache (`persisted`). */
  const transition = (tab: SimTab, type: 'pagehide' | 'pageshow') =>
    tab.window.dispatchEvent(Object.assign(new tab.window.Event(type), { persisted: true }) as never);
  const visibility = (tab: SimTab) => tab.document.documentElement.style.getPropertyValue('visibility');

  it('a live page hides going in, and shows again only after a fresh read says live', async () => {
    const o = origin();
    const tab = await o.open();
    transition(tab, 'pagehide');
    expect(visibility(tab)).toBe('hidden');
    transition(tab, 'pageshow');
    expect(visibility(tab)).toBe('hidden'); // the read is not back yet
    await settle();
    expect(visibility(tab)).toBe('');
    expect(tab.handle.getPhase()).toBe('active');
  });

  it('signed out by another tab meanwhile: stays hidden and signs out', async () => {
    const o = origin();
    const [tab, other] = [await o.open({ signedOutUrl: '/bye' }), await o.open({ signedOutUrl: '/bye' })];
    transition(tab, 'pagehide');
    other.handle.signOut();
    await settle();
    expect(tab.signedOut).toEqual([]);
    transition(tab, 'pageshow');
    await settle();
    expect(visibility(tab)).toBe('hidden');
    expect(tab.signedOut).toEqual(['user']);
  });

  it('after the sign-out, pageshow still listens: a restored signed-out page is replaced at once', async () => {
    const o = origin();
    const tab = await o.open({ signedOutUrl: '/bye' });
    const replaced: string[] = [];
    Object.assign(tab.window.location, { replace: (url: string) => void replaced.push(url) });
    tab.handle.signOut();
    await settle();
    transition(tab, 'pagehide');
    transition(tab, 'pageshow');
    expect(visibility(tab)).toBe('hidden');
    expect(replaced).toEqual(['https://app.test/bye?reason=user']);
    tab.handle.stop();
    expect(visibility(tab)).toBe('');
  });

  it('a page restored after a timeout is replaced by timeoutUrl, not signedOutUrl', async () => {
    const o = origin();
    const tab = await o.open({ signedOutUrl: '/bye', timeoutUrl: '/timed-out' });
    const replaced: string[] = [];
    Object.assign(tab.window.location, { replace: (url: string) => void replaced.push(url) });
    await o.clock.advance(T);
    transition(tab, 'pagehide');
    transition(tab, 'pageshow');
    expect(replaced).toEqual(['https://app.test/timed-out?reason=idle']);
  });
});

describe('keepalive', () => {
  async function keepalivesOverTenMinutes(tabCount: number): Promise<number> {
    const o = origin();
    const tabs = [];
    for (let i = 0; i < tabCount; i++) tabs.push(await o.open());
    for (let t = 0; t < 600_000; t += 2_000) {
      for (const tab of tabs) tab.input();
      await o.clock.advance(2_000);
    }
    expect(tabs.every((t) => t.handle.getPhase() === 'active' && t.named('warning').length === 0)).toBe(true);
    return o.server.count(KEEPALIVE);
  }

  it('the count is independent of the number of tabs (one per interval for the origin)', async () => {
    const one = await keepalivesOverTenMinutes(1);
    const five = await keepalivesOverTenMinutes(5);
    expect(one).toBe(Math.floor(600_000 / I));
    expect(five).toBe(one);
  });

  it('is never sent without input, and carries idleMs from the last input', async () => {
    const o = origin();
    const tab = await o.open();
    await o.clock.advance(T - W - 1);
    expect(o.server.count(KEEPALIVE)).toBe(0);
    const o2 = origin();
    const busy = await o2.open();
    await o2.clock.advance(100_000);
    busy.input();
    await o2.clock.advance(I - 100_000 + 1_000);
    const [call] = o2.server.calls.filter((c) => c.path === KEEPALIVE);
    expect(call?.body).toEqual({ idleMs: I - 100_000 });
    expect(busy.named('keepalive')).toHaveLength(1);
    expect(tab.named('keepalive')).toHaveLength(0);
  });

  it('is sent at once when the user acts while the remaining time is short', async () => {
    const o = origin();
    const tab = await o.open();
    await o.clock.advance(T - W - 3_000);
    tab.input();
    await settle();
    expect(o.server.calls.filter((c) => c.path === KEEPALIVE).map((c) => c.body)).toEqual([{ idleMs: 0 }]);
  });

  it('the active user in one tab keeps an idle other tab signed in', async () => {
    const o = origin();
    const idle = await o.open();
    const busy = await o.open();
    for (let t = 0; t < 3 * T; t += 5_000) {
      busy.input();
      await o.clock.advance(5_000);
    }
    expect(idle.named('warning')).toHaveLength(0);
    expect(idle.handle.getPhase()).toBe('active');
  });
});

describe("the server's deadline rule, as the tabs meet it (server/testing/deadline-rule.ts)", () => {
  it('never earlier: a keepalive reporting older input leaves the later deadline an app request earned', async () => {
    const o = origin();
    // No status checks: the tab learns of the app request's extension only from its keepalive's answer.
    const tab = await o.open({ revocationCheckMs: 0 });
    await o.clock.advance(20_000);
    tab.input(); // the last input this tab sees
    await o.clock.advance(20_000);
    await o.server.fetch('/app'); // the page's own request: the server counts it as activity
    const earned = o.clock.now + T;
    expect(await o.server.deadlineAt()).toBe(earned);
    await o.clock.advance(I - 40_000 + 1_000);
    const [keepalive] = o.server.calls.filter((c) => c.path === KEEPALIVE);
    expect(keepalive?.body).toEqual({ idleMs: keepalive!.at - (T0 + 20_000) }); // proposes T0 + 20 s + T, earlier
    expect(keepalive?.status).toBe(200);
    expect(await o.server.deadlineAt()).toBe(earned);
    expect(tab.handle.getRemainingMs()).toBe(earned - o.clock.now);
  });

  it('only while live: a "stay" that reaches the server after the deadline does not revive the session', async () => {
    const o = origin();
    const tab = await o.open();
    await o.clock.advance(T - 1_000);
    o.server.latencyMs = 2_000; // a stalled link: sent a second before the deadline, it arrives a second after
    tab.handle.staySignedIn();
    await o.clock.advance(1_000);
    expect(tab.signedOut).toEqual(['idle']);
    await o.clock.advance(1_000);
    const [keepalive] = o.server.calls.filter((c) => c.path === KEEPALIVE);
    expect(keepalive).toMatchObject({ at: T0 + T - 1_000, status: 401 });
    expect(tab.named('keepalive')).toEqual([]);
    await o.clock.advance(1_000); // the tab's logout arrives too
    expect(await o.server.deadlineAt()).toBeUndefined();
  });
});

describe('failures', () => {
  for (const mode of ['503', 'down'] as const) {
    it(`${mode === '503' ? '503' : 'network error'}: unreachable, retried with backoff, no sign-out before the deadline`, async () => {
      const o = origin();
      const tab = await o.open();
      await o.clock.advance(T - W);
      o.server.fault = mode;
      tab.handle.staySignedIn();
      await settle();
      expect(tab.named('unreachable')).toHaveLength(1);
      expect(tab.named('keepalive')).toHaveLength(0);
      await o.clock.advance(1_000 + 2_000 + 4_000);
      expect(o.server.count(KEEPALIVE)).toBe(4);
      expect(tab.handle.getPhase()).toBe('warning'); // a failed "stay" never looks like success
      expect(tab.dialogOpen()).toBe(true);
      o.server.fault = 'none';
      await o.clock.advance(8_000);
      expect(tab.named('reachable')).toHaveLength(1);
      expect(tab.named('keepalive')).toHaveLength(1);
      expect(tab.handle.getPhase()).toBe('active');
    });
  }

  it('an unreachable server: signs out at the deadline, not before', async () => {
    const o = origin();
    const tab = await o.open();
    o.server.fault = 'down';
    await o.clock.advance(T - W);
    tab.handle.staySignedIn();
    await o.clock.advance(W - 1);
    expect(tab.signedOut).toEqual([]);
    await o.clock.advance(1);
    expect(tab.signedOut).toEqual(['idle']);
  });

  it('a logout that fails (offline) is retried with backoff while the page lives; the sign-out does not wait for it', async () => {
    const o = origin();
    const tabs = [await o.open({ signedOutUrl: '/bye' }), await o.open({ signedOutUrl: '/bye' })];
    o.server.fault = 'down';
    tabs[0]!.handle.signOut();
    await settle();
    for (const tab of tabs) expect(tab.navigations).toEqual(['https://app.test/bye?reason=user']);
    expect(o.server.count(LOGOUT)).toBe(1);
    await o.clock.advance(1_000 + 2_000);
    expect(o.server.count(LOGOUT)).toBe(3);
    expect(await o.server.deadlineAt()).toBeDefined(); // the server session still lives
    o.server.fault = 'none';
    await o.clock.advance(4_000);
    expect(o.server.count(LOGOUT)).toBe(4);
    expect(await o.server.deadlineAt()).toBeUndefined();
    await o.clock.advance(10 * 60_000);
    expect(o.server.count(LOGOUT)).toBe(4); // a 200 ends the retries
    expect(tabs[0]!.signedOut).toEqual(['user']);
  });

  it('stop() also ends the retries of a failed logout', async () => {
    const o = origin();
    const tab = await o.open();
    o.server.fault = 'down';
    tab.handle.signOut();
    await settle();
    expect(o.clock.pending.size).toBe(1); // the retry
    tab.handle.stop();
    expect(o.clock.pending.size).toBe(0);
    await o.clock.advance(60_000);
    expect(o.server.count(LOGOUT)).toBe(1);
  });

  it('403 (csrf) is a configuration error: one error event and console.error saying what to check, slow retries, no sign-out', async () => {
    const errors: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const o = origin();
      const tab = await o.open();
      await o.clock.advance(T - W);
      o.server.fault = '403';
      tab.handle.staySignedIn();
      await settle();
      // The server's own refusal, passed on as it said it.
      expect(tab.named('error')).toEqual([{ status: 403, error: 'csrf', message: expect.stringContaining('Sec-Fetch-Site is "cross-site"') }]);
      const { message } = tab.named('error')[0] as { message: string };
      expect(errors).toHaveLength(1);
      expect(String(errors[0]![0])).toContain(`refused keepalive with 403 csrf "${message}"`);
      expect(String(errors[0]![0])).toMatch(/allowedOrigins.*origin \(https:\/\/app\.test\)/);
      expect(tab.named('unreachable')).toEqual([]);
      expect(tab.handle.getPhase()).toBe('warning'); // never success
      await o.clock.advance(W - 1);
      expect(o.server.count(KEEPALIVE)).toBeLessThanOrEqual(7); // 1, 2, 4 … s: no hammering
      expect(tab.named('error')).toHaveLength(1);
      expect(tab.signedOut).toEqual([]); // never a sign-out of its own
      await o.clock.advance(1);
      expect(tab.signedOut).toEqual(['idle']); // the deadline still rules
    } finally {
      console.error = consoleError;
    }
  });

  it('401 from a keepalive signs out every tab (reason server)', async () => {
    const o = origin();
    const tabs = [await o.open(), await o.open()];
    await o.server.endSession(); // e.g. signed out from another device
    tabs[0]!.handle.staySignedIn();
    await settle();
    expect(tabs.map((t) => t.signedOut)).toEqual([['server'], ['server']]);
  });

  it('reaches a tab whose store reads hang, at once: the notification carries the sign-out', async () => {
    const o = origin();
    const a = await o.open();
    const stuck: SharedStore = { read: () => new Promise(() => {}), write: (patch) => o.store.write(patch) };
    const b = await o.open({ storage: stuck });
    a.handle.signOut();
    await settle();
    // The clock never moved: no timer ran and no store bound was waited out.
    expect(b.signedOut).toEqual(['user']);
  });
});

describe('a shared store that hangs (a frozen tab holds it)', () => {
  it('the tab that signs out sends the logout even when a read answers while its write is still within the bound', async () => {
    const inner = memorySharedStore();
    const heldWrites: (() => void)[] = [];
    let holdWrites = false;
    const store: SharedStore = {
      read: () => inner.read(),
      write: (patch) => (holdWrites ? new Promise((resolve) => heldWrites.push(() => void inner.write(patch).then(resolve))) : inner.write(patch)),
    };
    const o = origin(store);
    const tab = await o.open();
    holdWrites = true;
    tab.handle.signOut();
    await settle();
    tab.window.dispatchEvent(new tab.window.Event('focus')); // a wake-up: reads while the write waits
    await settle();
    expect(tab.signedOut).toEqual([]); // its own sign-out shows when its write answers, not before
    for (const answer of heldWrites.splice(0)) answer();
    await settle();
    expect(tab.signedOut).toEqual(['user']);
    expect(o.server.count(LOGOUT)).toBe(1);
  });

  it('no call waits longer than the bound: keepalives keep their schedule and an active user is never warned', async () => {
    const store = hangingStore();
    const o = origin(store);
    const tab = await o.open();
    store.hanging = true;
    const keepalivesBefore = o.server.count(KEEPALIVE);
    for (let at = 0; at < 2 * T; at += 10_000) {
      tab.input();
      await o.clock.advance(10_000);
    }
    expect(tab.named('warning')).toEqual([]);
    expect(o.server.count(KEEPALIVE) - keepalivesBefore).toBeGreaterThanOrEqual(Math.floor((2 * T) / (I + STORE_WAIT_BOUND_MS + 10_000)));
    expect(await o.server.deadlineAt()).toBeGreaterThan(o.clock.now);
    expect(tab.handle.getRemainingMs()).toBeGreaterThan(T - I - 20_000);
  });

  it('"stay" answered while the store hangs closes the warning; the store catches up once it answers', async () => {
    const store = hangingStore();
    const o = origin(store);
    const [a, b] = [await o.open(), await o.open()];
    await o.clock.advance(T - W + 1_000);
    expect(a.handle.getPhase()).toBe('warning');
    store.hanging = true;
    a.handle.staySignedIn();
    await o.clock.advance(STORE_WAIT_BOUND_MS);
    expect(a.handle.getPhase()).toBe('active');
    expect(a.named('stay')).toHaveLength(1);
    expect(b.handle.getPhase()).toBe('active'); // told by the notification, not by the store
    await o.clock.advance(W);
    expect([a.signedOut, b.signedOut]).toEqual([[], []]);
    store.release();
    await settle();
    const deadlineAt = await o.server.deadlineAt();
    expect((await store.inner.read())?.deadlineAt).toBe(deadlineAt);
    expect(a.handle.getRemainingMs()).toBe(deadlineAt! - o.clock.now);
  });

  it('signs out at the deadline while the store hangs', async () => {
    const store = hangingStore();
    const o = origin(store);
    const tab = await o.open();
    store.hanging = true;
    await o.clock.advance(T + STORE_WAIT_BOUND_MS * 3);
    expect(tab.signedOut).toEqual(['idle']);
    expect(o.server.count(LOGOUT)).toBe(1);
  });
});

describe('frozen (Page Lifecycle freeze) and back', () => {
  it('into the back/forward cache and back: lets go on pagehide, rejoins on pageshow and hears the others again', async () => {
    const o = origin();
    const [a, b] = [await o.open(), await o.open()];
    const transition = (type: string, persisted: boolean) => Object.assign(new a.window.Event(type), { persisted });
    a.window.dispatchEvent(transition('pagehide', false)); // a real unload: nothing to let go of
    expect(o.hub.endpoints).toHaveLength(2);
    a.window.dispatchEvent(transition('pagehide', true));
    expect(o.hub.endpoints).toHaveLength(1);
    a.window.dispatchEvent(transition('pageshow', true));
    await settle();
    expect(o.hub.endpoints).toHaveLength(2);
    b.handle.signOut();
    await settle();
    expect(a.signedOut).toEqual(['user']);
  });

  it('a frozen tab lets go of the leader lock, the channel and the store; on resume it rejoins and catches up', async () => {
    const calls: string[] = [];
    const store: SharedStore = { ...memorySharedStore(), suspend: () => calls.push('suspend'), resume: () => calls.push('resume') };
    const o = origin(store);
    const [a, b] = [await o.open(), await o.open()];
    a.document.dispatchEvent(new a.window.Event('freeze') as unknown as Event);
    await settle();
    expect(calls).toEqual(['suspend']);
    expect(o.hub.endpoints).toHaveLength(1); // a left the channel
    b.handle.signOut();
    await settle();
    expect(a.signedOut).toEqual([]); // frozen: it heard nothing
    a.document.dispatchEvent(new a.window.Event('resume') as unknown as Event);
    await settle();
    expect(calls).toEqual(['suspend', 'resume']);
    expect(a.signedOut).toEqual(['user']); // resume is a wake-up: it read the record
  });
});

describe('stop and restart', () => {
  it('stop() removes every listener, timer and channel', async () => {
    const counts = { window: 0, document: 0 };
    // Count listeners by wrapping add/remove on a fresh window.
    const o2 = origin();
    const win = new Window({ url: 'https://app.test/' });
    for (const [name, target] of [['window', win], ['document', win.document]] as const) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      target.addEventListener = ((...args: Parameters<typeof add>) => {
        counts[name]++;
        add(...args);
      }) as typeof add;
      target.removeEventListener = ((...args: Parameters<typeof remove>) => {
        counts[name]--;
        remove(...args);
      }) as typeof remove;
    }
    const handle = createIdleLogout({}, {
      window: win as unknown as globalThis.Window,
      document: win.document as unknown as Document,
      now: () => o2.clock.now,
      fetch: o2.server.fetch as typeof fetch,
      storage: o2.store,
      tabSync: o2.hub.factory,
      timers: o2.clock,
      navigate: () => {},
    });
    await settle();
    await o2.clock.advance(T - W + 500); // warning: dialog, title, countdown timer
    expect(counts.window + counts.document).toBeGreaterThan(0);
    expect(o2.clock.pending.size).toBeGreaterThan(0);
    expect(o2.hub.opened - o2.hub.closed).toBe(1);
    expect(win.document.querySelector('[data-idle-logout-dialog]')).not.toBeNull();
    handle.stop();
    await settle();
    expect(handle.getPhase()).toBe('stopped');
    expect(counts).toEqual({ window: 0, document: 0 });
    expect(o2.clock.pending.size).toBe(0);
    expect(o2.hub.opened - o2.hub.closed).toBe(0);
    expect(win.document.querySelector('[data-idle-logout-dialog]')).toBeNull();
    expect(win.document.title).not.toMatch(/^0:/);
    // Nothing happens afterwards either: no request, no sign-out at the deadline.
    const sent = o2.server.calls.length;
    await o2.clock.advance(T);
    expect(o2.server.calls.length).toBe(sent);
    expect(handle.getPhase()).toBe('stopped');
    void win.happyDOM.abort();
  });

  it('a second start replaces the first instead of stacking', async () => {
    const o = origin();
    const options = {
      window: new Window({ url: `${PAGE_ORIGIN}/page` }) as unknown as globalThis.Window,
      now: () => o.clock.now,
      fetch: o.server.fetch as typeof fetch,
      storage: o.store,
      tabSync: o.hub.factory,
      timers: o.clock,
    };
    const first = startIdleLogout(options);
    const second = startIdleLogout(options);
    await settle();
    expect(o.hub.opened - o.hub.closed).toBe(1);
    expect(first.getPhase()).toBe('stopped');
    expect(first.getRemainingMs()).toBeNull();
    expect(second.getPhase()).toBe('active');
    second.stop();
  });

  it('an app listener can unsubscribe', async () => {
    const o = origin();
    const tab = await o.open();
    const seen: unknown[] = [];
    const off = tab.handle.on('tick', (d) => seen.push(d));
    await o.clock.advance(T - W + 1_000);
    off();
    const count = seen.length;
    await o.clock.advance(3_000);
    expect(count).toBeGreaterThan(0);
    expect(seen.length).toBe(count);
  });
});

describe('custom server schedule', () => {
  it('follows idleTimeoutMs and warningMs from the server, not from client config', async () => {
    const o = origin(undefined, { idleTimeoutMs: 120_000, warningMs: 30_000 });
    const tab = await o.open();
    await o.clock.advance(90_000 - 1);
    expect(tab.named('warning')).toEqual([]);
    await o.clock.advance(1);
    expect(tab.named('warning')).toEqual([{ remainingMs: 30_000 }]);
    await o.clock.advance(30_000);
    expect(tab.signedOut).toEqual(['idle']);
  });
});

describe('what the warning says, and the title it leaves', () => {
  const notice = (tab: Awaited<ReturnType<SimOrigin['open']>>) => tab.dialogRoot()?.getElementById('n')?.textContent;
  const heading = (tab: Awaited<ReturnType<SimOrigin['open']>>) => tab.dialogRoot()?.getElementById('h')?.textContent;

  it('a title the app sets during the warning is the one left after it', async () => {
    const o = origin();
    const tab = await o.open();
    await o.clock.advance(T - W + 2_000);
    tab.document.title = 'Inbox (3)'; // before a tick: the countdown shows again, then this comes back
    await o.clock.advance(2_000);
    expect(tab.document.title).toMatch(/^0:56/);
    tab.handle.staySignedIn();
    await settle();
    expect(tab.document.title).toBe('Inbox (3)');
  });

  it('a title the app sets after the last tick is left alone', async () => {
    const o = origin();
    const tab = await o.open();
    await o.clock.advance(T - W + 2_000);
    tab.document.title = 'Saved';
    tab.handle.staySignedIn();
    await settle();
    expect(tab.handle.getPhase()).toBe('active');
    expect(tab.document.title).toBe('Saved');
  });

  it('"stay" that cannot reach the server: the dialog says so, and closes once a retry gets through', async () => {
    const o = origin();
    const tab = await o.open();
    await o.clock.advance(T - W);
    expect(notice(tab)).toBe('');
    o.server.fault = 'down';
    tab.handle.staySignedIn();
    await settle();
    await o.clock.advance(500); // the next countdown tick shows it
    expect(notice(tab)).toBe("Can't reach the server. Retrying…");
    o.server.fault = 'none';
    await o.clock.advance(2_000);
    expect(tab.handle.getPhase()).toBe('active');
    expect(tab.dialogOpen()).toBe(false);
  });

  it('at the absolute lifetime the dialog has no "Stay signed in" and says why', async () => {
    const o = origin(undefined, { absoluteTimeoutMs: T });
    const tab = await o.open();
    await o.clock.advance(T - W);
    expect(notice(tab)).toBe('Your session has reached its time limit.');
    const buttons = [...tab.dialogRoot()!.querySelectorAll('button')].filter((button) => !button.hidden);
    expect(buttons.map((button) => button.textContent)).toEqual(['Sign out']);
  });

  it('signOutButton: false reaches the dialog: "Stay signed in" alone, and no button at all at the absolute lifetime', async () => {
    const o = origin(undefined, { absoluteTimeoutMs: T + W });
    const tab = await o.open({ dialog: { signOutButton: false } });
    const shown = () => [...tab.dialogRoot()!.querySelectorAll('button')].filter((button) => !button.hidden).map((button) => button.textContent);
    await o.clock.advance(T - W);
    expect(shown()).toEqual(['Stay signed in']);
    tab.handle.staySignedIn(); // the server extends to its absolute lifetime, T + W: warning again at T
    await o.clock.advance(W);
    expect(notice(tab)).toBe('Your session has reached its time limit.');
    expect(shown()).toEqual([]);
  });

  it('timeoutUrl: an idle or absolute-lifetime sign-out goes there, a user or server one to signedOutUrl; ?reason= on both', async () => {
    const urls = { signedOutUrl: '/bye', timeoutUrl: '/timed-out' };
    const [idleOrigin, lifetimeOrigin] = [origin(), origin(undefined, { absoluteTimeoutMs: T })];
    const [idle, lifetime, user] = [await idleOrigin.open(urls), await lifetimeOrigin.open(urls), await origin().open(urls)];
    await idleOrigin.clock.advance(T);
    await lifetimeOrigin.clock.advance(T);
    expect(idle.navigations).toEqual(['https://app.test/timed-out?reason=idle']);
    expect(lifetime.navigations).toEqual(['https://app.test/timed-out?reason=idle']);
    user.handle.signOut();
    await settle();
    expect(user.navigations).toEqual(['https://app.test/bye?reason=user']);
    const server = origin();
    await server.server.endSession();
    expect((await server.open(urls)).navigations).toEqual(['https://app.test/bye?reason=server']);
    // Alone, it is used for timeouts only.
    const onlyTimeout = await origin().open({ timeoutUrl: '/timed-out' });
    onlyTimeout.handle.signOut();
    await settle();
    expect(onlyTimeout.navigations).toEqual([]);
  });

  it('signed out while offline: no navigation (it would show a network error) but the dialog says so; navigates once online', async () => {
    const o = origin();
    const tab = await o.open({ signedOutUrl: '/bye' });
    await o.clock.advance(T - W);
    Object.defineProperty(tab.window.navigator, 'onLine', { value: false, configurable: true });
    await o.clock.advance(W);
    expect(tab.handle.getPhase()).toBe('signed-out');
    expect(tab.signedOut).toEqual(['idle']);
    expect(tab.navigations).toEqual([]);
    expect(tab.dialogOpen()).toBe(true);
    expect(heading(tab)).toBe("You've been signed out. We'll go on once you're back online.");
    expect(tab.document.title).toBe('App');
    Object.defineProperty(tab.window.navigator, 'onLine', { value: true, configurable: true });
    tab.window.dispatchEvent(new tab.window.Event('online'));
    tab.window.dispatchEvent(new tab.window.Event('online'));
    expect(tab.navigations).toEqual(['https://app.test/bye?reason=idle']);
  });

  it('stop() while waiting to be back online: no navigation later', async () => {
    const o = origin();
    const tab = await o.open({ signedOutUrl: '/bye' });
    Object.defineProperty(tab.window.navigator, 'onLine', { value: false, configurable: true });
    tab.handle.signOut();
    await settle();
    tab.handle.stop();
    expect(tab.dialogOpen()).toBe(false);
    tab.window.dispatchEvent(new tab.window.Event('online'));
    expect(tab.navigations).toEqual([]);
  });
});

describe('a session ended elsewhere', () => {
  const C = 20_000;

  it('every tab goes to the signed-out URL with reason revoked within the interval; one check per interval; a hidden tab learns it from the shared record', async () => {
    const o = origin();
    const checks = () => o.server.calls.filter((c) => c.method === 'GET').map((c) => c.at);
    const options = { revocationCheckMs: C, signedOutUrl: '/signed-out' };
    const tabs = [await o.open(options), await o.open(options), await o.open(options)];
    tabs[2]!.setVisible(false);
    await settle();
    const started = checks().length; // one status request per tab at start
    expect(started).toBe(3);
    await o.clock.advance(4 * C);
    const steady = checks().slice(started);
    expect(steady.length).toBeGreaterThanOrEqual(3);
    expect(steady.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < steady.length; i++) expect(steady[i]! - steady[i - 1]!).toBeGreaterThanOrEqual(C);
    expect(o.server.count(KEEPALIVE)).toBe(0); // nothing extended the session

    await o.server.revokeSession(); // from another browser: the next check answers 401 session-revoked
    const checksBefore = checks().length;
    await o.clock.advance(C);
    for (const tab of tabs.slice(0, 2)) {
      expect(tab.signedOut).toEqual(['revoked']);
      expect(tab.named('signed-out')).toEqual([{ reason: 'revoked' }]);
      expect(tab.navigations).toEqual(['https://app.test/signed-out?reason=revoked']);
    }
    // The hidden tab learns it from the shared record at once (it sent nothing itself).
    expect(tabs[2]!.signedOut).toEqual(['revoked']);
    expect(checks().length - checksBefore).toBe(1);
    expect(o.server.count(LOGOUT)).toBe(0); // the server ended it already
    await o.clock.advance(5 * C);
    expect(checks().length - checksBefore).toBe(1);
  });
});
