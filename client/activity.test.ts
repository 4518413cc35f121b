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

  it('reports the first input at once, then at most once per throttle window with the last input time', async () => {
    const { clock, reports, input } = setup();
    input();
    expect(reports).toEqual([clock.now]);
    for (let i = 0; i < 10; i++) {
      clock.now += 40;
      input();
    }
    expect(reports).toHaveLength(1);
    const lastInputAt = clock.now;
    await clock.advance(500);
    expect(reports).toEqual([reports[0], lastInputAt]);
  });

  it('counts only the configured events', () => {
    const { reports, input } = setup(['keydown']);
    input('pointermove');
    input('focus');
    expect(reports).toHaveLength(0);
    input('keydown');
    expect(reports).toHaveLength(1);
  });

  it('stop() removes the listeners and the pending trailing report', async () => {
    const { clock, reports, input, stop } = setup();
    input();
    clock.now += 10;
    input();
    expect(clock.pending.size).toBe(1);
    stop();
    expect(clock.pending.size).toBe(0);
    input();
    await clock.advance(1_000);
    expect(reports).toHaveLength(1);
  });
});
