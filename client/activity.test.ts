// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_EVENTS, listenForActivity } from './activity.ts';
import { FakeClock } from './test-tabs.ts';

function setup(eventNames: readonly string[] = DEFAULT_ACTIVITY_EVENTS, throttleMs = 500) {
  const clock = new FakeClock();
  const target = new EventTarget();
  const added: [string, unknown][] = [];
  const add = target.addEventListener.bind(target);
  target.addEventListener = (type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) => {
    added.push([type, options]);
    add(type, listener, options);
  };
  const reports: number[] = [];
  const stop = listenForActivity({ target, eventNames, throttleMs, now: () => clock.now, timers: clock, onActivity: (at) => reports.push(at) });
  const input = (type = 'pointermove') => target.dispatchEvent(new Event(type));
  return { clock, target, added, reports, stop, input };
}

describe('listenForActivity', () => {
  it('listens passively in the capture phase to the default input events', () => {
    const { added } = setup();
    expect(added.map(([type]) => type)).toEqual(['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll']);
    expect(added.every(([, options]) => (options as AddEventListenerOptions).passive && (options as AddEventListenerOptions).capture)).toBe(true);
  });

  it('reports input at once, then listens to nothing until the throttle window ends', async () => {
    const { clock, target, reports, input } = setup();
    let ours = 0;
    const count = () => ours++;
    input();
    expect(reports).toEqual([clock.now]);
    const removed: string[] = [];
    const remove = target.removeEventListener.bind(target);
    target.removeEventListener = (type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions) => {
      removed.push(type);
      remove(type, listener, options);
    };
    target.addEventListener('pointermove', count);
    for (let i = 0; i < 10; i++) {
      clock.now += 40;
      input();
    }
    expect(ours).toBe(10); // the events happened…
    expect(reports).toHaveLength(1); // …and reached no listener of ours
    await clock.advance(100); // the window (500 ms from the first input) ends
    clock.now += 1;
    input();
    expect(reports).toEqual([reports[0], clock.now]);
    expect(removed).toEqual([...DEFAULT_ACTIVITY_EVENTS]);
  });

  it('counts only the configured events', () => {
    const { reports, input } = setup(['keydown']);
    input('pointermove');
    input('focus');
    expect(reports).toHaveLength(0);
    input('keydown');
    expect(reports).toHaveLength(1);
  });

  it('stop() removes the listeners and the pending resume, in either state', async () => {
    for (const paused of [false, true]) {
      const { clock, reports, input, stop } = setup();
      if (paused) input();
      expect(clock.pending.size).toBe(paused ? 1 : 0);
      stop();
      expect(clock.pending.size).toBe(0);
      input();
      await clock.advance(1_000);
      input();
      expect(reports).toHaveLength(paused ? 1 : 0);
    }
  });
});
