// The pure rules, without DOM, timers, storage or network: feed events and times, read decisions.
// `Origin` below simulates several tabs sharing one record the way the shells do (a write applies a
// patch atomically, then every other tab re-reads), with requests answered by the test.
import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_PERSIST_STEP_MS,
  BACKOFF_MAX_MS,
  CLOCK_CHECK_MS,
  KEEPALIVE_SAFETY_MS,
  LEADER_GRACE_MS,
  REFUSED_BACKOFF_MAX_MS,
  REREAD_ON_INPUT_AFTER_MS,
  actingPhase,
  announcePhase,
  applyPatch,
  backoffMs,
  claimOwedKeepalive,
  claimRevocationCheck,
  emptyRecord,
  initialState,
  keepaliveIntervalMs,
  nextWakeAt,
  phaseAt,
  remainingMsAt,
  retryFailedRequest,
  retryLogout,
  runHookForSignOutElsewhere,
  signOutAtDeadline,
  step,
  type CoreConfig,
  type CoreEvent,
  type CoreState,
  type Effect,
  type ServerResult,
  type SharedRecord,
} from './core.ts';

const T = 300_000;
const W = 60_000;
const I = keepaliveIntervalMs(T, W);
const T0 = 1_700_000_000_000;
const config: CoreConfig = { activityDismissesWarning: false, hasBeforeSignOut: false };

function live(remainingMs: number, absoluteRemainingMs = 43_200_000): ServerResult {
  return { type: 'live', remainingMs, idleTimeoutMs: T, warningMs: W, absoluteRemainingMs };
}

interface Request {
  tab: Tab;
  kind: 'status' | 'keepalive' | 'logout';
  idleMs?: number;
  requestedAt: number;
}

class Tab {
  state: CoreState;
  effects: Effect[] = [];
  wakeAt: number | null = null;
  constructor(
    readonly origin: Origin,
    readonly name: string,
    cfg: CoreConfig,
  ) {
    this.state = initialState(cfg);
  }
  dispatch(event: CoreEvent): void {
    const result = step(this.state, event, this.origin.now, this.origin.mono);
    this.state = result.state;
    this.wakeAt = result.wakeAt;
    this.effects.push(...result.effects);
    for (const effect of result.effects) this.origin.carryOut(this, effect);
  }
  phase(): string {
    return phaseAt(this.state, this.origin.now);
  }
  shown(): string {
    return this.state.shownPhase;
  }
  of<K extends Effect['type']>(type: K): Extract<Effect, { type: K }>[] {
    return this.effects.filter((e): e is Extract<Effect, { type: K }> => e.type === type);
  }
}

class Origin {
  now = T0;
  /** The tabs' monotonic clock (performance.now()); NaN leaves the clock-jump check out. */
  mono = NaN;
  record: SharedRecord | undefined = undefined;
  tabs: Tab[] = [];
  requests: Request[] = [];
  /** Frozen tabs miss notifications, as frozen and bfcached pages do. */
  frozen = new Set<Tab>();

  open(name = `tab${this.tabs.length}`, cfg: CoreConfig = config, visible = true): Tab {
    const tab = new Tab(this, name, cfg);
    this.tabs.push(tab);
    tab.dispatch({ type: 'start', visible });
    return tab;
  }
  carryOut(tab: Tab, effect: Effect): void {
    if (effect.type === 'read') {
      tab.dispatch({ type: 'record-read', record: this.record });
    } else if (effect.type === 'write') {
      const { record, applied } = applyPatch(this.record, effect.patch);
      this.record = record;
      tab.dispatch({ type: 'record-written', record, kind: effect.patch.kind, applied });
      if (applied) for (const other of this.tabs) if (other !== tab && !this.frozen.has(other)) other.dispatch({ type: 'record-read', record });
    } else if (effect.type === 'request') {
      this.requests.push({ tab, kind: effect.kind, idleMs: effect.kind === 'keepalive' ? effect.idleMs : undefined, requestedAt: this.now });
    }
  }
  /** Answers the oldest open request of this kind. */
  answer(kind: Request['kind'], result: ServerResult, tab?: Tab): Request {
    const index = this.requests.findIndex((r) => r.kind === kind && (!tab || r.tab === tab));
    if (index < 0) throw new Error(`no open ${kind} request`);
    const [request] = this.requests.splice(index, 1) as [Request];
    request.tab.dispatch({ type: 'response', kind, requestedAt: request.requestedAt, result });
    return request;
  }
  open_(kind: Request['kind']): Request[] {
    return this.requests.filter((r) => r.kind === kind);
  }
  /** Moves the clock, firing each tab's one-shot timer when due (in time order). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.tabs.filter((t) => !this.frozen.has(t) && t.wakeAt !== null && t.wakeAt <= end);
      if (!due.length) break;
      const next = Math.min(...due.map((t) => t.wakeAt as number));
      this.mono += Math.max(0, next - this.now);
      this.now = Math.max(this.now, next);
      for (const tab of due.filter((t) => t.wakeAt === next)) {
        // The scheduler shell re-reads the shared record before acting on a timer.
        tab.dispatch({ type: 'record-read', record: this.record });
      }
    }
    this.mono += end - this.now;
    this.now = end;
  }
  /** Sleep: no timer runs; the clock jumps (and performance.now() stands still, as on most platforms). */
  sleep(ms: number): void {
    this.now += ms;
  }
  /** The wall clock alone jumps (NTP, the user set it); timers and performance.now() do not. */
  jumpClock(ms: number): void {
    this.now += ms;
  }
}

function startedTab(origin = new Origin(), remainingMs = T): Tab {
  const tab = origin.open();
  origin.answer('status', live(remainingMs));
  return tab;
}

describe('keepalive interval', () => {
  it('leaves room for a keepalive before the warning of an active user: I = (T − W − L) / 2', () => {
    expect(I).toBe((T - W - KEEPALIVE_SAFETY_MS) / 2);
    // Worst case: a keepalive at k carried input just after k − I; the next leaves by k + I + L.
    for (const [t, w] of [[300_000, 60_000], [900_000, 120_000], [120_000, 30_000], [60_000, 20_000]] as const) {
      const i = keepaliveIntervalMs(t, w);
      expect(0 + i + KEEPALIVE_SAFETY_MS).toBeLessThanOrEqual(0 - i + t - w);
    }
  });
  it('never drops below one second for tiny timeouts', () => {
    expect(keepaliveIntervalMs(20_000, 20_000)).toBe(1_000);
  });
});

describe('backoff', () => {
  it('doubles from one second and caps', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 16000, BACKOFF_MAX_MS, BACKOFF_MAX_MS]);
    expect([9, 10].map((n) => backoffMs(n, REFUSED_BACKOFF_MAX_MS))).toEqual([256_000, REFUSED_BACKOFF_MAX_MS]);
  });
});

describe('start', () => {
  it('reads the shared record and asks the server for the status', () => {
    const origin = new Origin();
    const tab = origin.open();
    expect(tab.effects.map((e) => e.type)).toEqual(['read', 'request']);
    expect(origin.open_('status')).toHaveLength(1);
    expect(tab.phase()).toBe('starting');
    expect(remainingMsAt(tab.state, origin.now)).toBeNull();
  });

  it('takes the deadline from remainingMs relative to arrival on its own clock', () => {
    const origin = new Origin();
    const tab = origin.open();
    origin.now += 400; // the answer takes 400 ms
    origin.answer('status', live(287_512));
    expect(origin.record?.deadlineAt).toBe(T0 + 400 + 287_512);
    expect(tab.phase()).toBe('active');
    expect(tab.of('phase').at(-1)).toMatchObject({ phase: 'active' });
    expect(tab.wakeAt).toBe(T0 + 400 + 287_512 - W); // next: the warning
  });

  it('shares only the protocol figures of a live answer: fields a custom transport adds reach no other tab', () => {
    const origin = new Origin();
    const tab = origin.open();
    const fromCustomTransport = { ...live(T), accessToken: 'secret' };
    origin.answer('status', fromCustomTransport);
    expect(origin.record).toMatchObject({ deadlineAt: T0 + T });
    const [write] = tab.of('write');
    expect(write!.patch).toMatchObject({ kind: 'server', remainingMs: T });
    expect(JSON.stringify(write!.patch)).not.toContain('secret'); // the patch is what the other tabs are sent
    expect(JSON.stringify(origin.record)).not.toContain('secret'); // the record every tab reads and stores
  });

  it('401 at start → signed out (server), without a logout request', () => {
    const origin = new Origin();
    const tab = origin.open();
    origin.answer('status', { type: 'signed-out' });
    expect(tab.shown()).toBe('signed-out');
    expect(tab.of('phase').at(-1)).toMatchObject({ phase: 'signed-out', reason: 'server' });
    expect(origin.open_('logout')).toHaveLength(0);
    expect(tab.wakeAt).toBeNull();
  });

  it('a stored signed-out record waits for the server: no flash of active, no wrong sign-out', () => {
    const origin = new Origin();
    origin.record = { ...emptyRecord(), deadlineAt: T0 - 1000, idleTimeoutMs: T, warningMs: W, signedOutAt: T0 - 1000, signedOutReason: 'idle' };
    const tab = origin.open();
    expect(tab.phase()).toBe('starting');
    expect(tab.of('phase')).toHaveLength(0);
    // The user signed in again since: the server says live → a new session, shown active.
    origin.answer('status', live(T));
    expect(tab.shown()).toBe('active');
    expect(origin.record?.signedOutAt).toBe(0);
  });

  it('after the browser was closed past the deadline, shows signed out when the server confirms', () => {
    const origin = new Origin();
    origin.record = { ...emptyRecord(), deadlineAt: T0 - 60_000, absoluteDeadlineAt: T0 + 1e7, idleTimeoutMs: T, warningMs: W };
    const tab = origin.open();
    expect(tab.phase()).toBe('starting');
    origin.answer('status', { type: 'signed-out' });
    expect(tab.of('phase').map((e) => e.phase)).toEqual(['signed-out']);
  });

  it('a stored record with a future deadline is shown at once (a reload keeps the state)', () => {
    const origin = new Origin();
    const first = startedTab(origin);
    origin.advance(10_000);
    const reloaded = origin.open();
    expect(reloaded.phase()).toBe('active');
    expect(remainingMsAt(reloaded.state, origin.now)).toBe(remainingMsAt(first.state, origin.now));
  });

  it('a second start event is ignored', () => {
    const origin = new Origin();
    const tab = origin.open();
    tab.dispatch({ type: 'start', visible: true });
    expect(origin.open_('status')).toHaveLength(1);
  });
});

describe('phases and wake-ups', () => {
  it('active → warning at deadline − warningMs → signed out (idle) at the deadline, logout once', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W - 1);
    expect(tab.shown()).toBe('active');
    origin.advance(1);
    expect(tab.shown()).toBe('warning');
    expect(tab.of('phase').at(-1)).toMatchObject({ phase: 'warning', remainingMs: W });
    origin.advance(W);
    expect(tab.shown()).toBe('signed-out');
    expect(tab.of('phase').at(-1)).toMatchObject({ phase: 'signed-out', reason: 'idle' });
    expect(origin.open_('logout')).toHaveLength(1);
    expect(origin.record?.signedOutReason).toBe('idle');
    expect(tab.wakeAt).toBeNull();
  });

  it('counts down once per whole second while visible, every 10 s while hidden (one 10 s timer, not ten 1 s ones)', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    tab.effects = [];
    origin.advance(5_000);
    expect(tab.of('countdown').map((e) => e.remainingMs)).toEqual([59_000, 58_000, 57_000, 56_000, 55_000]);
    tab.dispatch({ type: 'visibility', visible: false });
    expect(tab.wakeAt).toBe(origin.now + 5_000); // 55 s left: the next whole 10 s of remaining time
    tab.effects = [];
    origin.advance(20_000);
    expect(tab.wakeAt).toBe(origin.now + 5_000);
    expect(tab.of('countdown').map((e) => [e.remainingMs, e.visible])).toEqual([
      [50_000, false],
      [40_000, false],
    ]);
  });

  it('no timer at all while nothing can change but the deadline: one wake-up, not an interval', () => {
    const tab = startedTab();
    // Active, no input: the only wake-up is the warning.
    expect(tab.wakeAt).toBe(tab.state.sharedRecord!.deadlineAt - W);
  });

  it('sleep past the deadline goes straight to signed out, never showing active or warning', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    tab.effects = [];
    origin.sleep(T + 3_600_000);
    tab.dispatch({ type: 'record-read', record: origin.record }); // the wake-up re-read
    expect(tab.of('phase').map((e) => e.phase)).toEqual(['signed-out']);
    expect(tab.of('countdown')).toHaveLength(0);
    expect(origin.open_('logout')).toHaveLength(1);
  });

  it('sleep into the warning window shows the warning with the true remaining time', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.sleep(T - 20_000);
    tab.dispatch({ type: 'record-read', record: origin.record }); // the wake-up re-read
    expect(tab.of('phase').at(-1)).toMatchObject({ phase: 'warning', remainingMs: 20_000 });
  });
});

describe('a wall clock that jumps', () => {
  /** An origin whose tabs also read a monotonic clock, as the browser shell does. */
  function monoOrigin(): Origin {
    const origin = new Origin();
    origin.mono = 0;
    return origin;
  }

  it('a jump forward never signs out a user who is typing: the server re-bases the deadline', () => {
    const origin = monoOrigin();
    const tab = startedTab(origin, 100_000);
    origin.advance(10_000);
    origin.jumpClock(100_000); // 90 s were left: the local deadline is now 10 s in the past
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(tab.shown()).toBe('active');
    expect(origin.open_('status')).toHaveLength(1);
    origin.advance(200);
    origin.answer('status', live(89_800));
    expect(tab.of('phase').map((e) => e.phase)).toEqual(['active']);
    expect(origin.record?.signedOutAt).toBe(0);
    expect(origin.record?.deadlineAt).toBe(origin.now + 89_800);
    expect(origin.open_('logout')).toHaveLength(0);
  });

  it('no answer within CLOCK_CHECK_MS: the local deadline decides', () => {
    const origin = monoOrigin();
    const tab = startedTab(origin, 100_000);
    origin.jumpClock(120_000);
    tab.dispatch({ type: 'record-read', record: origin.record });
    expect(tab.shown()).toBe('active');
    origin.advance(CLOCK_CHECK_MS);
    expect(tab.shown()).toBe('signed-out');
    expect(origin.record?.signedOutReason).toBe('idle');
  });

  it('sleep past the deadline (performance.now() stood still): signs out as soon as the server answers 401, reason idle', () => {
    const origin = monoOrigin();
    const tab = startedTab(origin);
    tab.effects = [];
    origin.sleep(T + 3_600_000);
    tab.dispatch({ type: 'record-read', record: origin.record }); // the wake-up re-read
    expect(tab.of('phase')).toHaveLength(0);
    origin.advance(150);
    origin.answer('status', { type: 'signed-out' });
    expect(tab.of('phase').map((e) => [e.phase, e.reason])).toEqual([['signed-out', 'idle']]);
    expect(origin.open_('logout')).toHaveLength(0); // the server has ended it already
  });

  it('sleep past the deadline while offline: signs out at once when the check cannot reach the server', () => {
    const origin = monoOrigin();
    const tab = startedTab(origin);
    origin.sleep(T + 60_000);
    tab.dispatch({ type: 'record-read', record: origin.record });
    origin.answer('status', { type: 'unreachable', status: 0 });
    expect(tab.shown()).toBe('signed-out');
    expect(origin.record?.signedOutReason).toBe('idle');
  });

  it('a deadline that passes with both clocks in step signs out at once, with no extra request', () => {
    const origin = monoOrigin();
    const tab = startedTab(origin);
    origin.advance(T);
    expect(tab.shown()).toBe('signed-out');
    expect(origin.open_('status')).toHaveLength(0);
  });
});

describe('keepalive', () => {
  it('a late answer after the sign-out announces no keepalive', () => {
    const origin = new Origin();
    const [tab, other] = [startedTab(origin), origin.open('other')];
    tab.dispatch({ type: 'leader', isLeader: true });
    origin.advance(I);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(origin.open_('keepalive')).toHaveLength(1);
    other.dispatch({ type: 'sign-out' });
    expect(tab.shown()).toBe('signed-out');
    origin.answer('keepalive', live(T));
    const types = tab.effects.filter((e) => e.type === 'phase' || e.type === 'extended').map((e) => (e.type === 'phase' ? e.phase : e.type));
    expect(types.slice(types.indexOf('signed-out'))).toEqual(['signed-out']);
  });

  it('is not sent without real activity, however long the tab stays open', () => {
    const origin = new Origin();
    startedTab(origin);
    origin.advance(T - W - 1);
    expect(origin.open_('keepalive')).toHaveLength(0);
  });

  it('is sent by the leader when owed, carrying idleMs, and moves the deadline', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    tab.dispatch({ type: 'leader', isLeader: true });
    origin.advance(10_000);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(origin.open_('keepalive')).toHaveLength(0); // the deadline is fresh: spacing
    origin.advance(I - 10_000 - 1);
    expect(origin.open_('keepalive')).toHaveLength(0);
    origin.advance(1);
    const [request] = origin.open_('keepalive');
    expect(request).toMatchObject({ idleMs: I - 10_000 });
    origin.answer('keepalive', live(T - (I - 10_000)));
    expect(origin.record?.deadlineAt).toBe(T0 + 10_000 + T);
    expect(tab.of('extended')).toHaveLength(1);
    // Covered now: nothing owed until new input.
    origin.advance(T - W - I);
    expect(origin.open_('keepalive')).toHaveLength(0);
  });

  it('is sent at once when the user acts after a quiet spell (the remaining time is short)', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    tab.dispatch({ type: 'leader', isLeader: true });
    origin.advance(T - W - 5_000); // 65 s left, warning in 5 s
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(origin.open_('keepalive')).toEqual([expect.objectContaining({ idleMs: 0 })]);
  });

  it('input is persisted coarsely; idleMs is measured from the last input in any tab', () => {
    const origin = new Origin();
    const a = startedTab(origin);
    const b = origin.open('b');
    a.dispatch({ type: 'leader', isLeader: true });
    origin.advance(1_000);
    b.dispatch({ type: 'activity', at: origin.now });
    const writes = () => b.of('write').filter((w) => w.patch.kind === 'activity').length;
    expect(writes()).toBe(1);
    origin.advance(1_000);
    b.dispatch({ type: 'activity', at: origin.now });
    expect(writes()).toBe(1); // within the step: not written
    origin.advance(ACTIVITY_PERSIST_STEP_MS);
    b.dispatch({ type: 'activity', at: origin.now });
    expect(writes()).toBe(2);
    const lastInputAt = origin.now;
    origin.advance(I);
    const [request] = origin.open_('keepalive');
    expect(request?.tab).toBe(a);
    expect(request?.idleMs).toBe(request!.requestedAt - lastInputAt);
  });

  it('one keepalive per interval for the origin, whatever the number of tabs', () => {
    for (const tabCount of [1, 3, 8]) {
      const origin = new Origin();
      const tabs = [startedTab(origin)];
      for (let i = 1; i < tabCount; i++) tabs.push(origin.open());
      tabs[0]!.dispatch({ type: 'leader', isLeader: true });
      let sent = 0;
      // Ten minutes of input in every tab, every two seconds.
      for (let t = 0; t < 600_000; t += 2_000) {
        for (const tab of tabs) tab.dispatch({ type: 'activity', at: origin.now });
        for (const r of origin.open_('keepalive')) {
          sent++;
          origin.answer('keepalive', live(T - (r.idleMs ?? 0)), r.tab);
        }
        origin.advance(2_000);
        expect(tabs.every((t) => t.shown() === 'active')).toBe(true);
      }
      // The first at I (the status answer covered the start), then every I: I, 2I … 5I < 10 min.
      expect(sent).toBe(Math.floor(600_000 / I));
    }
  });

  it('a non-leader covers for a frozen leader after the grace period, and only one tab does', () => {
    const origin = new Origin();
    const leader = startedTab(origin);
    leader.dispatch({ type: 'leader', isLeader: true });
    const b = origin.open('b');
    const c = origin.open('c');
    origin.answer('status', live(T), b);
    origin.answer('status', live(T), c);
    origin.frozen.add(leader);
    origin.advance(I);
    b.dispatch({ type: 'activity', at: origin.now });
    c.dispatch({ type: 'activity', at: origin.now });
    origin.advance(LEADER_GRACE_MS - 1);
    expect(origin.open_('keepalive')).toHaveLength(0);
    origin.advance(1);
    expect(origin.open_('keepalive')).toHaveLength(1);
  });

  it('claims are atomic: two tabs claiming at the same moment send one keepalive', () => {
    const origin = new Origin();
    const a = startedTab(origin);
    const b = origin.open('b');
    a.dispatch({ type: 'leader', isLeader: true });
    b.dispatch({ type: 'leader', isLeader: true }); // a split brain during election
    origin.advance(I);
    a.dispatch({ type: 'activity', at: origin.now });
    b.dispatch({ type: 'activity', at: origin.now });
    expect(origin.open_('keepalive')).toHaveLength(1);
  });

  it('a tab whose claim was refused (another tab claimed first) sends nothing', () => {
    const origin = new Origin();
    const a = startedTab(origin);
    a.dispatch({ type: 'leader', isLeader: true });
    origin.advance(I);
    // Another tab claims between a's decision and a's write landing.
    const claimAt = origin.now;
    const realCarryOut = origin.carryOut.bind(origin);
    origin.carryOut = (tab, effect) => {
      if (effect.type === 'write' && effect.patch.kind === 'claim-keepalive') {
        origin.record = applyPatch(origin.record, { kind: 'claim-keepalive', at: claimAt, minGapMs: 0 }).record;
      }
      realCarryOut(tab, effect);
    };
    a.dispatch({ type: 'activity', at: origin.now });
    expect(a.of('write').some((w) => w.patch.kind === 'claim-keepalive')).toBe(true);
    expect(origin.open_('keepalive')).toHaveLength(0);
    expect(a.state.awaitingClaim).toBe(false);
  });

  it('no automatic keepalive while the warning shows (activity does not dismiss it)', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    tab.dispatch({ type: 'leader', isLeader: true });
    origin.advance(T - W + 1_000);
    expect(tab.shown()).toBe('warning');
    tab.dispatch({ type: 'activity', at: origin.now });
    origin.advance(5_000);
    expect(origin.open_('keepalive')).toHaveLength(0);
    expect(tab.shown()).toBe('warning');
  });

  it('with activityDismissesWarning, input during the warning acts as "stay"', () => {
    const origin = new Origin();
    const tab = origin.open('a', { ...config, activityDismissesWarning: true });
    origin.answer('status', live(T));
    origin.advance(T - W + 1_000);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(origin.open_('keepalive')).toHaveLength(1);
    origin.answer('keepalive', live(T));
    expect(tab.shown()).toBe('active');
  });

  it('does not try to extend past the absolute lifetime', () => {
    const origin = new Origin();
    const tab = origin.open();
    origin.answer('status', live(100_000, 100_000)); // capped
    tab.dispatch({ type: 'leader', isLeader: true });
    origin.advance(I + 1_000);
    tab.dispatch({ type: 'activity', at: origin.now });
    origin.advance(1_000);
    expect(origin.open_('keepalive')).toHaveLength(0);
  });
});

describe('warning, stay and sign-out across tabs', () => {
  it('every tab warns; "stay" in one closes it everywhere, with one keepalive', () => {
    const origin = new Origin();
    const tabs = [startedTab(origin), origin.open('b'), origin.open('c')];
    origin.advance(T - W);
    expect(tabs.map((t) => t.shown())).toEqual(['warning', 'warning', 'warning']);
    tabs[1]!.dispatch({ type: 'stay' });
    expect(origin.open_('keepalive')).toEqual([expect.objectContaining({ tab: tabs[1], idleMs: 0 })]);
    // The warning closes when the server has moved the deadline, not before.
    expect(tabs.map((t) => t.shown())).toEqual(['warning', 'warning', 'warning']);
    origin.answer('keepalive', live(T));
    expect(tabs.map((t) => t.shown())).toEqual(['active', 'active', 'active']);
    expect(tabs.every((t) => t.of('phase').at(-1)?.stayed)).toBe(true);
    expect(origin.record?.deadlineAt).toBe(origin.now + T);
    origin.advance(T - W - 1);
    expect(tabs.every((t) => t.shown() === 'active')).toBe(true);
  });

  it('"sign out" in one tab signs out every tab (reason user), logout once', () => {
    const origin = new Origin();
    const tabs = [startedTab(origin), origin.open('b'), origin.open('c')];
    origin.advance(T - W + 5_000);
    tabs[2]!.dispatch({ type: 'sign-out' });
    expect(tabs.map((t) => t.of('phase').at(-1))).toEqual(
      tabs.map(() => expect.objectContaining({ phase: 'signed-out', reason: 'user' })),
    );
    expect(origin.open_('logout')).toEqual([expect.objectContaining({ tab: tabs[2] })]);
  });

  it('at the deadline every tab tries; the conditional write lets exactly one send the logout', () => {
    const origin = new Origin();
    const tabs = [startedTab(origin), origin.open('b'), origin.open('c')];
    origin.advance(T);
    expect(tabs.every((t) => t.shown() === 'signed-out')).toBe(true);
    expect(origin.open_('logout')).toHaveLength(1);
  });

  it('an idle tab never signs out a user active in another tab', () => {
    const origin = new Origin();
    const idle = startedTab(origin);
    const busy = origin.open('busy');
    busy.dispatch({ type: 'leader', isLeader: true });
    for (let t = 0; t < 3 * T; t += 10_000) {
      busy.dispatch({ type: 'activity', at: origin.now });
      for (const r of origin.open_('keepalive')) origin.answer('keepalive', live(T - (r.idleMs ?? 0)), r.tab);
      origin.advance(10_000);
    }
    expect(idle.of('phase').map((e) => e.phase)).toEqual(['active']);
  });

  it('a deadline extended by another tab while this one was frozen is respected on wake', () => {
    const origin = new Origin();
    const a = startedTab(origin);
    const b = origin.open('b');
    origin.frozen.add(a);
    origin.advance(T - W - 1_000);
    b.dispatch({ type: 'stay' });
    origin.answer('keepalive', live(T));
    origin.frozen.delete(a);
    // a's old timer fires late; the shell re-reads the record first.
    a.dispatch({ type: 'record-read', record: origin.record });
    expect(a.shown()).toBe('active');
  });

  it('a tab opened during the warning shows the same countdown at once', () => {
    const origin = new Origin();
    const first = startedTab(origin);
    origin.advance(T - 42_000);
    const late = origin.open('late');
    expect(late.shown()).toBe('warning');
    expect(late.of('phase').at(-1)?.remainingMs).toBe(42_000);
    expect(remainingMsAt(late.state, origin.now)).toBe(remainingMsAt(first.state, origin.now));
  });

  it('the beforeSignOut hook runs before the sign-out is recorded', () => {
    const origin = new Origin();
    const tab = origin.open('a', { ...config, hasBeforeSignOut: true });
    origin.answer('status', live(T));
    origin.advance(T);
    expect(tab.of('run-hook')).toEqual([{ type: 'run-hook', reason: 'idle' }]);
    expect(origin.record?.signedOutAt).toBe(0);
    expect(tab.shown()).toBe('warning');
    tab.dispatch({ type: 'hook-done' });
    expect(tab.shown()).toBe('signed-out');
    expect(origin.open_('logout')).toHaveLength(1);
  });

  it('every other tab runs its own hook before it announces a sign-out made elsewhere (also after a 401)', () => {
    const hooked = { ...config, hasBeforeSignOut: true };
    for (const via of ['user', 'server'] as const) {
      const origin = new Origin();
      const a = origin.open('a', hooked);
      origin.answer('status', live(T));
      const b = origin.open('b', hooked);
      origin.answer('status', live(T));
      if (via === 'user') {
        a.dispatch({ type: 'sign-out' });
        a.dispatch({ type: 'hook-done' });
      } else {
        a.dispatch({ type: 'stay' });
        origin.answer('keepalive', { type: 'signed-out' });
        expect(a.of('run-hook')).toEqual([{ type: 'run-hook', reason: 'server' }]);
        a.dispatch({ type: 'hook-done' });
      }
      expect(a.shown()).toBe('signed-out');
      expect(b.of('run-hook')).toEqual([{ type: 'run-hook', reason: via }]);
      expect(b.shown()).toBe('active');
      b.dispatch({ type: 'hook-done' });
      expect(b.shown()).toBe('signed-out');
      expect(b.of('run-hook')).toHaveLength(1);
      expect(b.of('write').filter((w) => w.patch.kind === 'sign-out')).toHaveLength(0);
    }
  });

  it('a page opened after a sign-out never runs the hook: it had no work at risk, and saving would overwrite what was kept', () => {
    const hooked = { ...config, hasBeforeSignOut: true };
    for (const answer of [live(T), { type: 'signed-out' } as ServerResult]) {
      const origin = new Origin();
      const a = origin.open('a', hooked);
      origin.answer('status', live(T));
      a.dispatch({ type: 'sign-out' });
      a.dispatch({ type: 'hook-done' });
      expect(origin.record?.signedOutAt).toBeGreaterThan(0);
      origin.advance(1_000); // the user signs in again, and opens a page
      const fresh = origin.open('fresh', hooked);
      expect(fresh.of('run-hook')).toEqual([]);
      origin.answer('status', answer);
      expect(fresh.of('run-hook')).toEqual([]);
      expect(fresh.shown()).toBe(answer.type === 'signed-out' ? 'signed-out' : 'active');
    }
  });

  it('if another tab extends the deadline while the hook runs, the idle sign-out is dropped', () => {
    const origin = new Origin();
    const a = origin.open('a', { ...config, hasBeforeSignOut: true });
    origin.answer('status', live(T));
    origin.advance(T);
    origin.record = { ...origin.record!, deadlineAt: origin.now + T, serverSeenAt: origin.now };
    a.dispatch({ type: 'hook-done' });
    expect(a.shown()).not.toBe('signed-out');
    expect(origin.open_('logout')).toHaveLength(0);
  });
});

describe('failures', () => {
  it('keepalive network error / 503: retry with backoff, unreachable once, never success or sign-out', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    tab.dispatch({ type: 'stay' });
    const deadlineBefore = origin.record!.deadlineAt;
    origin.answer('keepalive', { type: 'unreachable', status: 0 });
    expect(tab.of('reachable')).toEqual([{ type: 'reachable', reachable: false }]);
    expect(origin.record!.deadlineAt).toBe(deadlineBefore);
    expect(tab.of('extended')).toHaveLength(0);
    origin.advance(999);
    expect(origin.open_('keepalive')).toHaveLength(0);
    origin.advance(1);
    origin.answer('keepalive', { type: 'unreachable', status: 503 });
    origin.advance(1_999);
    expect(origin.open_('keepalive')).toHaveLength(0);
    origin.advance(1);
    expect(origin.open_('keepalive')).toHaveLength(1);
    expect(tab.of('reachable')).toHaveLength(1);
    origin.answer('keepalive', live(T));
    expect(tab.of('reachable').at(-1)).toEqual({ type: 'reachable', reachable: true });
    expect(tab.shown()).toBe('active');
    expect(tab.state.failures).toBe(0);
  });

  it('"stay" while the server is unreachable keeps the warning open and retries until it answers', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    tab.dispatch({ type: 'stay' });
    origin.answer('keepalive', { type: 'unreachable', status: 503 });
    expect(tab.shown()).toBe('warning');
    origin.advance(1_000);
    expect(origin.open_('keepalive')).toHaveLength(1);
    origin.answer('keepalive', live(T));
    expect(tab.shown()).toBe('active');
    expect(tab.of('phase').at(-1)?.stayed).toBe(true);
  });

  it('"stay" at the absolute lifetime: the countdown says it is final and staying sends nothing', () => {
    const origin = new Origin();
    const tab = origin.open();
    origin.answer('status', live(T, T));
    origin.advance(T - W);
    expect(tab.shown()).toBe('warning');
    expect(tab.of('countdown').map((e) => e.notice)).toEqual(['final']);
    tab.dispatch({ type: 'stay' });
    tab.dispatch({ type: 'stay' });
    expect(origin.open_('keepalive')).toHaveLength(0);
    expect(tab.shown()).toBe('warning');
    origin.advance(W);
    expect(tab.shown()).toBe('signed-out');
  });

  it('the countdown is final once a keepalive answer caps the deadline at the absolute lifetime', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    expect(tab.of('countdown').map((e) => e.notice)).toEqual([undefined]);
    tab.dispatch({ type: 'stay' });
    origin.answer('keepalive', live(W, W)); // the server could extend only to its absolute lifetime
    origin.advance(1_000);
    expect(tab.of('countdown').at(-1)?.notice).toBe('final');
    expect(tab.shown()).toBe('warning');
  });

  it('a "stay" that cannot reach the server: the countdown says unreachable until a request gets through', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    tab.dispatch({ type: 'stay' });
    origin.answer('keepalive', { type: 'unreachable', status: 503 });
    origin.advance(1_000); // the retry fails too
    origin.answer('keepalive', { type: 'unreachable', status: 0 });
    expect(tab.of('countdown').at(-1)?.notice).toBe('unreachable');
    origin.advance(2_000);
    origin.answer('keepalive', live(T));
    expect(tab.shown()).toBe('active');
    origin.advance(T - W);
    expect(tab.of('countdown').at(-1)?.notice).toBeUndefined(); // the next warning starts clean
  });

  it('an unreachable server never signs out before the deadline, and does at the deadline', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    tab.dispatch({ type: 'stay' });
    for (;;) {
      const open = origin.open_('keepalive');
      if (open.length) origin.answer('keepalive', { type: 'unreachable', status: 0 });
      if (origin.now >= T0 + T - 1) break;
      expect(tab.shown()).not.toBe('signed-out');
      origin.advance(500);
    }
    origin.advance(1);
    expect(tab.shown()).toBe('signed-out');
    expect(tab.of('phase').at(-1)?.reason).toBe('idle');
  });

  it('status unreachable at start: stays starting and retries with backoff', () => {
    const origin = new Origin();
    const tab = origin.open();
    origin.answer('status', { type: 'unreachable', status: 503 });
    expect(tab.phase()).toBe('starting');
    expect(tab.wakeAt).toBe(origin.now + 1_000);
    origin.advance(1_000);
    origin.answer('status', live(T));
    expect(tab.shown()).toBe('active');
  });

  it('401 from a keepalive signs out every tab (reason server) and sends no logout', () => {
    const origin = new Origin();
    const tabs = [startedTab(origin), origin.open('b')];
    origin.advance(T - W);
    tabs[0]!.dispatch({ type: 'stay' });
    origin.answer('keepalive', { type: 'signed-out' });
    expect(tabs.map((t) => t.of('phase').at(-1))).toEqual(
      tabs.map(() => expect.objectContaining({ phase: 'signed-out', reason: 'server' })),
    );
    expect(origin.open_('logout')).toHaveLength(0);
  });
});

describe('a failed logout', () => {
  it('is retried with backoff while the page lives, without holding up the sign-out in any tab; 200 ends it', () => {
    const origin = new Origin();
    const tabs = [startedTab(origin), origin.open('b')];
    tabs[0]!.dispatch({ type: 'sign-out' });
    expect(tabs.map((t) => t.shown())).toEqual(['signed-out', 'signed-out']);
    origin.answer('logout', { type: 'unreachable', status: 0 });
    expect(tabs[0]!.of('reachable')).toEqual([]); // signed out already: nothing to tell the page
    expect(tabs[0]!.wakeAt).toBe(origin.now + 1_000);
    origin.advance(999);
    expect(origin.open_('logout')).toHaveLength(0);
    origin.advance(1);
    origin.answer('logout', { type: 'unreachable', status: 503 });
    origin.advance(2_000);
    expect(origin.open_('logout')).toEqual([expect.objectContaining({ tab: tabs[0] })]);
    origin.answer('logout', { type: 'signed-out' });
    expect(tabs[0]!.wakeAt).toBeNull();
    origin.advance(BACKOFF_MAX_MS * 10);
    expect(origin.open_('logout')).toEqual([]);
    expect(tabs[1]!.of('request').filter((e) => e.kind === 'logout')).toEqual([]);
  });

  it('stops once a tab has seen a new session, which a logout would end', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    tab.dispatch({ type: 'sign-out' });
    origin.answer('logout', { type: 'unreachable', status: 0 });
    origin.advance(500);
    const signedInAgain = origin.open('after-sign-in');
    origin.answer('status', live(T));
    expect(signedInAgain.shown()).toBe('active');
    origin.advance(BACKOFF_MAX_MS * 4);
    expect(origin.open_('logout')).toEqual([]);
    expect(tab.wakeAt).toBeNull();
    expect(tab.shown()).toBe('signed-out'); // this tab is done; the new session is for the others
  });
});

describe('a refusal (4xx other than 401: a configuration error)', () => {
  const csrf: ServerResult = { type: 'refused', status: 403, error: 'csrf', message: 'cross-site request refused' };

  it('is reported once, retried slowly, never looks like success and never signs out before the deadline', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(T - W);
    tab.dispatch({ type: 'stay' });
    origin.answer('keepalive', csrf);
    expect(tab.of('error')).toEqual([{ type: 'error', kind: 'keepalive', status: 403, error: 'csrf', message: 'cross-site request refused' }]);
    expect(tab.of('reachable')).toEqual([]); // the server answers: it is not "unreachable"
    expect(tab.shown()).toBe('warning');
    let sent = 1;
    for (;;) {
      if (origin.open_('keepalive').length) {
        origin.answer('keepalive', csrf);
        sent++;
      }
      if (origin.now >= T0 + T - 1) break;
      expect(tab.shown()).toBe('warning');
      origin.advance(500);
    }
    expect(sent).toBeLessThanOrEqual(7); // 1, 2, 4, 8, 16, 32 s … within the 60 s warning
    expect(tab.of('error')).toHaveLength(1);
    origin.advance(1);
    expect(tab.shown()).toBe('signed-out');
    expect(tab.of('phase').at(-1)?.reason).toBe('idle');
  });

  it('backs off to REFUSED_BACKOFF_MAX_MS, and is reported again after the server accepted a request', () => {
    const origin = new Origin();
    const tab = origin.open();
    for (let i = 0; i < 12; i++) {
      origin.answer('status', { type: 'refused', status: 404 });
      expect(tab.phase()).toBe('starting');
      const delay = tab.wakeAt! - origin.now;
      expect(delay).toBe(Math.min(REFUSED_BACKOFF_MAX_MS, 1_000 * 2 ** i));
      origin.advance(delay);
    }
    expect(tab.of('error')).toHaveLength(1);
    origin.answer('status', live(T));
    expect(tab.shown()).toBe('active');
    tab.dispatch({ type: 'stay' });
    origin.answer('keepalive', csrf);
    expect(tab.of('error').map((e) => e.status)).toEqual([404, 403]);
  });

  it('on logout, is reported and retried slowly; the sign-out stands', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    tab.dispatch({ type: 'sign-out' });
    origin.answer('logout', csrf);
    expect(tab.shown()).toBe('signed-out');
    expect(tab.of('error')).toHaveLength(1);
    origin.advance(1_000);
    expect(origin.open_('logout')).toHaveLength(1);
  });
});

describe('applyPatch (merging concurrent tabs)', () => {
  const base: SharedRecord = { ...emptyRecord(), deadlineAt: T0 + T, absoluteDeadlineAt: T0 + 1e8, idleTimeoutMs: T, warningMs: W, serverSeenAt: T0 };
  const server = (arrivedAt: number, remainingMs: number, source: 'status' | 'keepalive' = 'keepalive', requestedAt = arrivedAt - 10) =>
    ({ kind: 'server', source, requestedAt, arrivedAt, remainingMs, absoluteRemainingMs: 1e8, idleTimeoutMs: T, warningMs: W }) as const;

  it('the newest server answer wins, whatever order they land in', () => {
    const late = applyPatch(base, server(T0 + 5_000, T)).record;
    expect(applyPatch(late, server(T0 + 4_000, T)).applied).toBe(false);
    expect(late.deadlineAt).toBe(T0 + 5_000 + T);
  });

  it('a keepalive answer never revives a signed-out record; a later status answer does', () => {
    const out = applyPatch(base, { kind: 'sign-out', at: T0 + 1_000, reason: 'user' }).record;
    expect(applyPatch(out, server(T0 + 2_000, T)).applied).toBe(false);
    expect(applyPatch(out, server(T0 + 2_000, T, 'status', T0 + 500)).applied).toBe(false);
    const revived = applyPatch(out, server(T0 + 2_000, T, 'status', T0 + 1_500));
    expect(revived.applied).toBe(true);
    expect(revived.record).toMatchObject({ signedOutAt: 0, epoch: T0 + 1_500, deadlineAt: T0 + 2_000 + T });
  });

  it('a 401 to a request older than the current session is ignored', () => {
    const revived = { ...base, epoch: T0 + 1_000 };
    expect(applyPatch(revived, { kind: 'sign-out', at: T0 + 3_000, reason: 'server', requestedAt: T0 + 500 }).applied).toBe(false);
    expect(applyPatch(revived, { kind: 'sign-out', at: T0 + 3_000, reason: 'server', requestedAt: T0 + 1_500 }).applied).toBe(true);
  });

  it('sign-out is idempotent and keeps the first reason', () => {
    const first = applyPatch(base, { kind: 'sign-out', at: T0 + T, reason: 'idle' }).record;
    const second = applyPatch(first, { kind: 'sign-out', at: T0 + T + 5, reason: 'user' });
    expect(second.applied).toBe(false);
    expect(second.record.signedOutReason).toBe('idle');
  });

  it('an idle sign-out is refused before the deadline', () => {
    expect(applyPatch(base, { kind: 'sign-out', at: T0 + T - 1, reason: 'idle' }).applied).toBe(false);
  });

  it('activity only moves forward and tracks when input first became pending', () => {
    const a = applyPatch(base, { kind: 'activity', at: T0 + 1_000 }).record;
    expect(a).toMatchObject({ lastActivityAt: T0 + 1_000, pendingSince: T0 + 1_000 });
    const b = applyPatch(a, { kind: 'activity', at: T0 + 9_000 }).record;
    expect(b).toMatchObject({ lastActivityAt: T0 + 9_000, pendingSince: T0 + 1_000 });
    expect(applyPatch(b, { kind: 'activity', at: T0 + 5_000 }).applied).toBe(false);
  });

  it('a keepalive claim is refused within the gap of the last one', () => {
    const claimed = applyPatch(base, { kind: 'claim-keepalive', at: T0 + 1_000, minGapMs: I }).record;
    expect(applyPatch(claimed, { kind: 'claim-keepalive', at: T0 + 1_000 + I - 1, minGapMs: I }).applied).toBe(false);
    expect(applyPatch(claimed, { kind: 'claim-keepalive', at: T0 + 1_000 + I, minGapMs: I }).applied).toBe(true);
  });

  it('ignores stored values of another shape', () => {
    expect(applyPatch({ v: 2 } as unknown as SharedRecord, { kind: 'activity', at: 5 }).record.v).toBe(1);
  });
});

describe('a session ended elsewhere (revoked by the user or the app, or replaced)', () => {
  const C = 30_000;
  const checking: CoreConfig = { ...config, revocationCheckMs: C };
  const openChecking = (origin: Origin, count: number, visible = true): Tab[] => {
    const tabs = [origin.open('a', checking, visible)];
    origin.answer('status', live(T));
    for (let i = 1; i < count; i++) tabs.push(origin.open(`t${i}`, checking, visible));
    for (const r of origin.open_('status')) origin.answer('status', live(T), r.tab); // the other tabs' starts
    return tabs;
  };

  it('visible tabs ask for the status once per interval for the origin, whatever the number of tabs', () => {
    const origin = new Origin();
    const tabs = openChecking(origin, 3);
    const startedAt = origin.now;
    const checks: number[] = [];
    // Until just before the idle deadline (the user does nothing), a live answer to each check after 200 ms.
    while (origin.now < startedAt + T - 10_000) {
      origin.advance(1_000);
      for (const r of origin.open_('status')) {
        checks.push(r.requestedAt);
        origin.advance(200);
        origin.answer('status', live(T - (origin.now - startedAt)), r.tab);
      }
    }
    // While active (not during the warning, whose deadline comes within W anyway).
    expect(checks.length).toBeGreaterThanOrEqual(Math.floor((T - W) / (C + 1_200)));
    expect(checks.every((at) => at < startedAt + T - W)).toBe(true);
    for (let i = 1; i < checks.length; i++) expect(checks[i]! - checks[i - 1]!).toBeGreaterThanOrEqual(C);
    expect(tabs.every((t) => t.shown() !== 'signed-out')).toBe(true);
  });

  it('a live answer updates the deadline without extending it: no keepalive, the server’s time left is taken', () => {
    const origin = new Origin();
    const [tab] = openChecking(origin, 1) as [Tab];
    origin.advance(C);
    expect(origin.open_('status')).toHaveLength(1);
    // Another browser of the same session? No: the same session, but the server now says less time is left.
    origin.answer('status', live(T - C - 5_000));
    expect(origin.record!.deadlineAt).toBe(origin.now + T - C - 5_000);
    expect(origin.open_('keepalive')).toHaveLength(0);
    expect(tab.of('request').map((e) => e.kind)).toEqual(['status', 'status']);
  });

  it('hidden tabs send no check; a tab that becomes visible checks at once if the interval passed', () => {
    const origin = new Origin();
    const tabs = openChecking(origin, 3, false);
    origin.advance(5 * C);
    expect(origin.open_('status')).toHaveLength(0);
    tabs[1]!.dispatch({ type: 'visibility', visible: true });
    tabs[1]!.dispatch({ type: 'record-read', record: origin.record }); // the shell re-reads on visibilitychange
    expect(origin.open_('status').map((r) => r.tab)).toEqual([tabs[1]]);
  });

  it('a 401 session-revoked signs out every tab with reason revoked, sends no logout, and no check follows', () => {
    const origin = new Origin();
    const tabs = openChecking(origin, 3);
    origin.advance(C);
    origin.answer('status', { type: 'signed-out', revoked: true });
    expect(tabs.map((t) => t.of('phase').at(-1))).toEqual(tabs.map(() => expect.objectContaining({ phase: 'signed-out', reason: 'revoked' })));
    expect(origin.open_('logout')).toHaveLength(0);
    origin.advance(10 * C);
    expect(origin.requests).toHaveLength(0);
  });

  it('no check after a sign-out made here', () => {
    const origin = new Origin();
    const tabs = openChecking(origin, 2);
    tabs[0]!.dispatch({ type: 'sign-out' });
    origin.answer('logout', { type: 'signed-out' });
    origin.advance(10 * C);
    expect(origin.requests).toHaveLength(0);
  });

  it('a check is not needed while other answers (keepalives) show the session is live', () => {
    const origin = new Origin();
    const [tab] = openChecking(origin, 1) as [Tab];
    tab.dispatch({ type: 'leader', isLeader: true });
    origin.advance(C - 1_000);
    tab.dispatch({ type: 'stay' });
    origin.answer('keepalive', live(T));
    origin.advance(C - 1);
    expect(origin.open_('status')).toHaveLength(0);
    origin.advance(1);
    expect(origin.open_('status')).toHaveLength(1);
  });

  it('the check claim is atomic: within the gap of the last one it is refused', () => {
    const claimed = applyPatch(emptyRecord(), { kind: 'claim-check', at: T0, minGapMs: C }).record;
    expect(applyPatch(claimed, { kind: 'claim-check', at: T0 + C - 1, minGapMs: C }).applied).toBe(false);
    expect(applyPatch(claimed, { kind: 'claim-check', at: T0 + C, minGapMs: C }).applied).toBe(true);
    // Another kind of claim is not held up by it.
    expect(applyPatch(claimed, { kind: 'claim-keepalive', at: T0 + 1, minGapMs: C }).applied).toBe(true);
  });
});

describe('a session ended elsewhere, while the server cannot be reached', () => {
  it('a failed check is not retried sooner: one check per interval for the origin, also during an outage; never a sign-out before the deadline', () => {
    const C = 30_000;
    const origin = new Origin();
    const tabs = [origin.open('a', { ...config, revocationCheckMs: C })];
    origin.answer('status', live(T));
    tabs.push(origin.open('b', { ...config, revocationCheckMs: C }));
    origin.answer('status', live(T));
    const sent: number[] = [];
    for (let t = 0; t < 4 * C; t += 1_000) {
      origin.advance(1_000);
      for (const r of origin.open_('status')) {
        sent.push(r.requestedAt);
        origin.answer('status', { type: 'unreachable', status: 0 }, r.tab);
      }
    }
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(C);
    expect(tabs.every((t) => t.shown() === 'active')).toBe(true);
  });
});

describe('the next input reads the shared record again', () => {
  it(`input ${REREAD_ON_INPUT_AFTER_MS} ms or more after the last read reads the record; input sooner does not`, () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    const reads = () => tab.of('read').length;
    const before = reads();
    origin.advance(REREAD_ON_INPUT_AFTER_MS - 1);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(reads()).toBe(before);
    origin.advance(1);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(reads()).toBe(before + 1);
    // The read just made counts: the next input within the spell reads nothing.
    origin.advance(1_000);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(reads()).toBe(before + 1);
  });

  it('a read the shell made for a wake-up counts as the last read', () => {
    const origin = new Origin();
    const tab = startedTab(origin);
    origin.advance(60_000);
    tab.dispatch({ type: 'record-read', record: origin.record }); // e.g. focus
    const before = tab.of('read').length;
    origin.advance(REREAD_ON_INPUT_AFTER_MS - 1);
    tab.dispatch({ type: 'activity', at: origin.now });
    expect(tab.of('read')).toHaveLength(before);
  });

  it('a sign-out another tab made while this one missed the notification shows at the next input', () => {
    const origin = new Origin();
    const a = startedTab(origin);
    const b = origin.open('b'); // read at T0
    origin.advance(1_000);
    b.dispatch({ type: 'activity', at: origin.now }); // written: the first input not yet covered
    origin.frozen.add(b); // misses the notification
    origin.advance(2_000);
    a.dispatch({ type: 'sign-out' });
    origin.frozen.delete(b);
    origin.advance(REREAD_ON_INPUT_AFTER_MS - 3_000);
    expect(b.shown()).toBe('active');
    // Within ACTIVITY_PERSIST_STEP_MS of its last input: no write (whose answer would carry the record).
    b.dispatch({ type: 'activity', at: origin.now });
    expect(b.of('write').filter((w) => w.patch.kind === 'activity')).toHaveLength(1);
    expect(b.shown()).toBe('signed-out');
  });
});

describe('a record the previous version stored', () => {
  it('is shown, and its keepalive claim (keepaliveSentAt) still spaces the next keepalive', () => {
    const origin = new Origin();
    const first = startedTab(origin);
    first.dispatch({ type: 'activity', at: origin.now + 1 });
    const { keepaliveClaimedAt: _claimed, checkClaimedAt: _checked, ...rest } = origin.record!;
    // As 0.1 wrote it: the claim time under its old name, and no check time.
    origin.record = { ...rest, keepaliveSentAt: T0 + 5_000 } as unknown as SharedRecord;
    const tab = origin.open('reloaded');
    tab.dispatch({ type: 'leader', isLeader: true });
    expect(tab.shown()).toBe('active'); // at once, from the stored record
    origin.answer('status', live(T));
    expect(tab.wakeAt).toBe(T0 + 5_000 + I);
    origin.advance(5_000 + I - 1);
    expect(origin.open_('keepalive')).toHaveLength(0);
    origin.advance(1);
    expect(origin.open_('keepalive')).toHaveLength(1);
  });
});

// The parts of `decide`, each on a state built for it: a started tab showing `active` with a
// trusted record (deadline T0 + T) unless told otherwise.
function stateWith(overrides: Partial<CoreState> = {}, record: Partial<SharedRecord> = {}): CoreState {
  return {
    ...initialState(config),
    started: true,
    trusted: true,
    shownPhase: 'active',
    sharedRecord: { ...emptyRecord(), deadlineAt: T0 + T, absoluteDeadlineAt: T0 + 43_200_000, idleTimeoutMs: T, warningMs: W, serverSeenAt: T0, ...record },
    ...overrides,
  };
}

describe('decide, part by part', () => {
  it('retryLogout: a signed-out tab resends its failed logout when due, only while the record says signed out', () => {
    const effects: Effect[] = [];
    const s = stateWith({ shownPhase: 'signed-out', retryKind: 'logout', retryAt: T0 + 2_000, failures: 2 }, { signedOutAt: T0 });
    expect(retryLogout(s, T0 + 1_999, effects)).toBe(T0 + 2_000);
    expect(effects).toEqual([]);
    expect(retryLogout(s, T0 + 2_000, effects)).toBeNull();
    expect(effects).toEqual([{ type: 'request', kind: 'logout' }]);
    expect(s.failures).toBe(2); // the next failure backs off further
    const newSession: Effect[] = [];
    retryLogout(stateWith({ shownPhase: 'signed-out', retryKind: 'logout', retryAt: T0 }), T0, newSession);
    expect(newSession).toEqual([]);
  });

  it('actingPhase: after a clock jump the shown phase holds until the server answered or CLOCK_CHECK_MS passed', () => {
    const s = stateWith({ clockCheckAt: T0 + T - 10 });
    expect(actingPhase(s, T0 + T)).toBe('active'); // the local deadline passed, but the check is open
    expect(actingPhase(stateWith({ clockCheckAt: T0 + T - 10 }, { serverSeenAt: T0 + T - 5 }), T0 + T)).toBe('signed-out');
    expect(actingPhase(s, T0 + T - 10 + CLOCK_CHECK_MS)).toBe('signed-out');
    expect(s.clockCheckAt).toBe(0);
    expect(actingPhase(stateWith({ clockCheckAt: T0 }, { signedOutAt: T0 }), T0)).toBe('signed-out'); // a recorded sign-out counts at once
  });

  it('signOutAtDeadline: past the deadline, an unrecorded sign-out is begun (idle), once', () => {
    const effects: Effect[] = [];
    const s = stateWith();
    signOutAtDeadline(s, 'active', T0 + T, effects);
    expect(effects).toEqual([]);
    signOutAtDeadline(s, 'signed-out', T0 + T, effects);
    expect(effects).toEqual([{ type: 'write', patch: { kind: 'sign-out', at: T0 + T, reason: 'idle' } }]);
    signOutAtDeadline(s, 'signed-out', T0 + T, effects);
    expect(effects).toHaveLength(1);
  });

  it('retryFailedRequest: a keepalive is resent only while still wanted; a status always', () => {
    const due = { retryKind: 'keepalive' as const, retryAt: T0 + 1_000, failures: 1 };
    const covered: Effect[] = [];
    retryFailedRequest(stateWith(due), 'active', T0 + 1_000, covered);
    expect(covered).toEqual([]); // no input left to carry
    const pending: Effect[] = [];
    retryFailedRequest(stateWith({ ...due, localActivityAt: T0 + 500 }), 'active', T0 + 1_000, pending);
    expect(pending).toEqual([{ type: 'request', kind: 'keepalive', idleMs: 500 }]);
    const status: Effect[] = [];
    const s = stateWith({ ...due, retryKind: 'status' });
    retryFailedRequest(s, 'active', T0 + 999, status);
    expect(status).toEqual([]);
    retryFailedRequest(s, 'active', T0 + 1_000, status);
    expect(status).toEqual([{ type: 'request', kind: 'status' }]);
  });

  it('claimOwedKeepalive: due at the spacing after the last claim (leader) or the grace later; claims once', () => {
    const record = { lastActivityAt: T0 + 1_000, pendingSince: T0 + 1_000, keepaliveClaimedAt: T0 + 2_000 };
    const effects: Effect[] = [];
    expect(claimOwedKeepalive(stateWith({ isLeader: true }, record), 'active', T0 + 3_000, effects)).toBe(T0 + 2_000 + I);
    expect(claimOwedKeepalive(stateWith({}, record), 'active', T0 + 3_000, effects)).toBe(T0 + 2_000 + I + LEADER_GRACE_MS);
    expect(claimOwedKeepalive(stateWith({ isLeader: true }, record), 'warning', T0 + 3_000, effects)).toBeNull();
    expect(effects).toEqual([]);
    const s = stateWith({ isLeader: true }, record);
    expect(claimOwedKeepalive(s, 'active', T0 + 2_000 + I, effects)).toBeNull();
    expect(effects).toEqual([{ type: 'write', patch: { kind: 'claim-keepalive', at: T0 + 2_000 + I, minGapMs: I } }]);
    claimOwedKeepalive(s, 'active', T0 + 2_000 + I, effects);
    expect(effects).toHaveLength(1); // awaiting the claim's answer
  });

  it('runHookForSignOutElsewhere: only a tab that showed a live session saves its work, once', () => {
    const cfg = { ...config, hasBeforeSignOut: true };
    const effects: Effect[] = [];
    const s = stateWith({ config: cfg }, { signedOutAt: T0, signedOutReason: 'user' });
    runHookForSignOutElsewhere(s, effects);
    runHookForSignOutElsewhere(s, effects);
    expect(effects).toEqual([{ type: 'run-hook', reason: 'user' }]);
    expect(s.hookRunning).toBe(true);
    const opened: Effect[] = [];
    runHookForSignOutElsewhere(stateWith({ config: cfg, shownPhase: 'starting' }, { signedOutAt: T0 }), opened);
    expect(opened).toEqual([]);
  });

  it('announcePhase: a change once, a countdown every time during the warning; signed out waits for the hook', () => {
    const effects: Effect[] = [];
    const s = stateWith();
    expect(announcePhase(s, 'warning', T0 + T - 30_000, effects)).toBe('warning');
    expect(announcePhase(s, 'warning', T0 + T - 29_000, effects)).toBe('warning');
    expect(effects.map((e) => e.type)).toEqual(['phase', 'countdown', 'countdown']);
    expect(effects[0]).toEqual({ type: 'phase', phase: 'warning', remainingMs: 30_000, reason: null, stayed: false });
    const hooked = stateWith({ hookRunning: true }, { signedOutAt: T0 });
    expect(announcePhase(hooked, 'signed-out', T0, [])).toBe('active');
    hooked.hookRunning = false;
    expect(announcePhase(hooked, 'signed-out', T0, [])).toBe('signed-out');
  });

  it('claimRevocationCheck: visible active tabs claim a check an interval after the last answer or claim', () => {
    const C = 60_000;
    const cfg = { ...config, revocationCheckMs: C };
    const effects: Effect[] = [];
    expect(claimRevocationCheck(stateWith({ config: cfg }, { checkClaimedAt: T0 + 10_000 }), 'active', T0 + 20_000, effects)).toBe(T0 + 10_000 + C);
    expect(claimRevocationCheck(stateWith({ config: cfg, visible: false }), 'active', T0 + C, effects)).toBeNull();
    expect(claimRevocationCheck(stateWith({ config: cfg }), 'warning', T0 + C, effects)).toBeNull();
    expect(effects).toEqual([]);
    expect(claimRevocationCheck(stateWith({ config: cfg }), 'active', T0 + C, effects)).toBeNull();
    expect(effects).toEqual([{ type: 'write', patch: { kind: 'claim-check', at: T0 + C, minGapMs: C } }]);
  });

  it('nextWakeAt: the earliest future moment among warning, deadline, countdown step, retries and the due times', () => {
    expect(nextWakeAt(stateWith(), 'active', T0, [null, null])).toBe(T0 + T - W);
    expect(nextWakeAt(stateWith(), 'active', T0, [T0 + 1_000, null])).toBe(T0 + 1_000);
    expect(nextWakeAt(stateWith({ retryKind: 'status', retryAt: T0 + 500 }), 'active', T0, [null, null])).toBe(T0 + 500);
    expect(nextWakeAt(stateWith(), 'warning', T0 + T - 30_500, [null, null])).toBe(T0 + T - 30_000);
    expect(nextWakeAt(stateWith({ visible: false }), 'warning', T0 + T - 35_000, [null, null])).toBe(T0 + T - 30_000);
    expect(nextWakeAt(stateWith({}, { signedOutAt: T0 }), 'signed-out', T0, [T0 + 1_000, null])).toBeNull();
    expect(nextWakeAt(stateWith(), 'active', T0 + T - W, [T0, null])).toBe(T0 + T); // past times are not timers
  });
});
