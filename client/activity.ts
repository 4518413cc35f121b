// Turns user input into throttled `activity` reports. Only real input counts: `visibilitychange`,
// `focus`, `pageshow` and waking the machine are wake-up checks (scheduler.ts), never activity —
// react-idle-timer counted them, so merely looking at a tab kept sessions alive (see anchors.md).
import type { Timers } from './timers.ts';

/** Input that counts as activity by default. `pointermove` covers mouse, pen and touch movement. */
export const DEFAULT_ACTIVITY_EVENTS: readonly string[] = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll'];

export interface ActivityListenerOptions {
  /** Where to listen; capture phase, so `scroll` on any element and stopped events are seen too. */
  target: EventTarget;
  eventNames: readonly string[];
  /** After a report, input is not listened to for this many ms. */
  throttleMs: number;
  now(): number;
  timers: Timers;
  onActivity(at: number): void;
}

/**
 * Reports input at once, then stops listening for `throttleMs`: more input in that window would
 * move the deadline by at most `throttleMs` (500 ms against minutes), so during a burst of
 * `pointermove` (120+ a second) the page runs none of our code and the browser dispatches those
 * events to no listener of ours at all (bench/client.ts measures this). The listener does O(1)
 * work and allocates nothing. Returns a function that removes every listener and the timer.
 *
 * @example
 * const stop = listenForActivity({ target: window, eventNames: DEFAULT_ACTIVITY_EVENTS, throttleMs: 500,
 *   now: Date.now, timers: hostTimers, onActivity: (at) => console.log('input at', at) });
 */
export function listenForActivity(options: ActivityListenerOptions): () => void {
  const { target, eventNames, throttleMs, now, timers, onActivity } = options;
  let resumeTimer: unknown = null;
  // Passive: we never call preventDefault, so scrolling is never held up by us.
  const listenerOptions: AddEventListenerOptions = { capture: true, passive: true };

  const listen = (): void => {
    resumeTimer = null;
    for (const name of eventNames) target.addEventListener(name, onInput, listenerOptions);
  };
  const pause = (): void => {
    for (const name of eventNames) target.removeEventListener(name, onInput, listenerOptions);
  };
  function onInput(): void {
    onActivity(now());
    pause();
    resumeTimer = timers.setTimeout(listen, throttleMs);
  }

  listen();
  return () => {
    pause();
    if (resumeTimer !== null) timers.clearTimeout(resumeTimer);
    resumeTimer = null;
  };
}
