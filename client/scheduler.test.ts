// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { WAKE_UP_EVENTS, createScheduler, listenForSuspend, listenForWakeUps } from './scheduler.ts';
import { FakeClock } from './testing/clock.ts';

describe('createScheduler', () => {
  it('keeps exactly one one-shot timer, replaced by each wakeAt()', async () => {
    const clock = new FakeClock();
    const woken: number[] = [];
    const scheduler = createScheduler({ now: () => clock.now, timers: clock, onWake: () => woken.push(clock.now) });
    scheduler.wakeAt(clock.now + 5_000);
    scheduler.wakeAt(clock.now + 2_000);
    expect(clock.pending.size).toBe(1);
    await clock.advance(10_000);
    expect(woken).toEqual([clock.now - 8_000]);
    scheduler.wakeAt(clock.now + 1_000);
    scheduler.wakeAt(null);
    expect(clock.pending.size).toBe(0);
  });

  it('fires at once for a time already passed, and caps delays browsers would overflow', () => {
    const clock = new FakeClock();
    const scheduler = createScheduler({ now: () => clock.now, timers: clock, onWake: () => {} });
    scheduler.wakeAt(clock.now - 1_000);
    expect([...clock.pending.values()][0]?.at).toBe(clock.now);
    scheduler.wakeAt(clock.now + 40 * 86_400_000);
    expect([...clock.pending.values()][0]?.at).toBe(clock.now + 2 ** 31 - 1);
    scheduler.stop();
    expect(clock.pending.size).toBe(0);
  });
});

describe('listenForWakeUps', () => {
  it('reports visibilitychange, resume, pageshow, focus and online; stop removes them', () => {
    const win = new EventTarget();
    const doc = new EventTarget();
    const seen: string[] = [];
    const stop = listenForWakeUps(win, doc, (type) => seen.push(type));
    for (const type of WAKE_UP_EVENTS.document) doc.dispatchEvent(new Event(type));
    for (const type of WAKE_UP_EVENTS.window) win.dispatchEvent(new Event(type));
    expect(seen).toEqual(['visibilitychange', 'resume', 'pageshow', 'focus', 'online']);
    stop();
    doc.dispatchEvent(new Event('visibilitychange'));
    win.dispatchEvent(new Event('focus'));
    expect(seen).toHaveLength(5);
  });
});

describe('listenForSuspend', () => {
  it('reports freeze and pagehide into the bfcache as suspended, resume and pageshow from it as running; stop removes them', () => {
    const win = new EventTarget();
    const doc = new EventTarget();
    const seen: boolean[] = [];
    const transition = (type: string, persisted: boolean) => Object.assign(new Event(type), { persisted });
    const stop = listenForSuspend(win, doc, (suspended) => seen.push(suspended));
    win.dispatchEvent(transition('pagehide', false)); // a real unload: nothing to let go of
    win.dispatchEvent(transition('pageshow', false)); // a first load
    expect(seen).toEqual([]);
    doc.dispatchEvent(new Event('freeze'));
    doc.dispatchEvent(new Event('resume'));
    win.dispatchEvent(transition('pagehide', true));
    win.dispatchEvent(transition('pageshow', true));
    expect(seen).toEqual([true, false, true, false]);
    stop();
    doc.dispatchEvent(new Event('freeze'));
    expect(seen).toHaveLength(4);
  });

  it('reports a pagehide not into the bfcache as leaving, and nothing else; stop removes it', () => {
    const win = new EventTarget();
    const doc = new EventTarget();
    const seen: string[] = [];
    const transition = (type: string, persisted: boolean) => Object.assign(new Event(type), { persisted });
    const stop = listenForSuspend(win, doc, (suspended) => seen.push(suspended ? 'suspend' : 'resume'), () => seen.push('leave'));
    win.dispatchEvent(transition('pageshow', false));
    win.dispatchEvent(transition('pagehide', true));
    win.dispatchEvent(transition('pageshow', true));
    win.dispatchEvent(transition('pagehide', false));
    expect(seen).toEqual(['suspend', 'resume', 'leave']);
    stop();
    win.dispatchEvent(transition('pagehide', false));
    expect(seen).toHaveLength(3);
  });
});
