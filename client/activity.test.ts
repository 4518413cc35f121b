// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { ACTIVITY_MESSAGE, DEFAULT_ACTIVITY_EVENTS, listenForActivity } from './activity.ts';
import { FakeClock } from './testing/clock.ts';

function setup(activityEvents: readonly string[] = DEFAULT_ACTIVITY_EVENTS, activityThrottleMs = 500) {
  const clock = new FakeClock();
  const target = new EventTarget();
  const added: [string, unknown][] = [];
  const add = target.addEventListener.bind(target);
  target.addEventListener = (type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) => {
    added.push([type, options]);
    add(type, listener, options);
  };
  const reports: number[] = [];
  const stop = listenForActivity({ target, activityEvents, activityThrottleMs, now: () => clock.now, timers: clock, onActivity: (at) => reports.push(at) });
  const input = (type = 'pointermove') => target.dispatchEvent(new Event(type));
  return { clock, target, added, reports, stop, input };
}

describe('listenForActivity', () => {
  it('listens passively in the capture phase to the default input events', () => {
    const added = setup().added.filter(([type]) => type !== 'message'); // that one is for frames, below
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

describe('listenForActivity in frames', () => {
  /** A frame's window as the page sees it: same-origin (its document readable) or not (reading throws). */
  function frameWindow(sameOrigin = true): EventTarget {
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { querySelectorAll: () => [] });
    Object.defineProperty(win, 'document', {
      get: () => {
        if (!sameOrigin) throw new DOMException('Blocked a frame from accessing a cross-origin frame.', 'SecurityError');
        return doc;
      },
    });
    return win;
  }
  function addFrame(win: EventTarget): HTMLIFrameElement {
    const frame = document.createElement('iframe');
    Object.defineProperty(frame, 'contentWindow', { value: win });
    document.body.append(frame);
    return frame;
  }
  function setup(activityOrigins: string[] = []) {
    document.body.innerHTML = '';
    const clock = new FakeClock();
    const reports: number[] = [];
    const start = () =>
      listenForActivity({ target: window, activityEvents: ['keydown'], activityThrottleMs: 500, now: () => clock.now, timers: clock, onActivity: (at) => reports.push(at), activityOrigins });
    return { clock, reports, start };
  }
  const key = (target: EventTarget) => target.dispatchEvent(new Event('keydown'));

  it('hears input in a same-origin frame there at the start, throttled with the page, until stop()', async () => {
    const { clock, reports, start } = setup();
    const frame = frameWindow();
    addFrame(frame);
    const stop = start();
    key(frame);
    key(frame);
    key(window);
    expect(reports).toHaveLength(1);
    await clock.advance(500);
    key(frame);
    expect(reports).toHaveLength(2);
    await clock.advance(500);
    stop();
    key(frame);
    expect(reports).toHaveLength(2);
  });

  it('hears a frame that loads (or navigates) later, and skips a cross-origin one without error', async () => {
    const { reports, start } = setup();
    const stop = start();
    const later = frameWindow();
    const foreign = frameWindow(false);
    addFrame(later).dispatchEvent(new Event('load'));
    addFrame(foreign).dispatchEvent(new Event('load'));
    key(foreign);
    expect(reports).toHaveLength(0);
    key(later);
    expect(reports).toHaveLength(1);
    stop();
  });

  it('counts ACTIVITY_MESSAGE only from the listed origins', () => {
    const { reports, start } = setup(['https://editor.example']);
    const stop = start();
    const post = (data: unknown, origin: string) => window.dispatchEvent(new MessageEvent('message', { data, origin }));
    post(ACTIVITY_MESSAGE, 'https://evil.example');
    post('something else', 'https://editor.example');
    expect(reports).toHaveLength(0);
    post(ACTIVITY_MESSAGE, 'https://editor.example');
    expect(reports).toHaveLength(1);
    stop();
    post(ACTIVITY_MESSAGE, 'https://editor.example');
    expect(reports).toHaveLength(1);
  });
});
