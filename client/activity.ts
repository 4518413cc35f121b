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
  /** At most one report per this many ms (leading edge, plus one trailing report). */
  throttleMs: number;
  now(): number;
  timers: Timers;
  onActivity(at: number): void;
}

/**
 * Listens for input and reports it at most once per `throttleMs`. The listener itself does O(1) work
 * and allocates nothing: it stores a timestamp and, at most once per window, arms one timer.
 * Returns a function that removes every listener and the pending timer.
 *
 * @example
 * const stop = listenForActivity({ target: window, eventNames: DEFAULT_ACTIVITY_EVENTS, throttleMs: 500,
 *   now: Date.now, timers: hostTimers, onActivity: (at) => console.log('input at', at) });
 */
export function listenForActivity(options: ActivityListenerOptions): () => void {
  const { target, eventNames, throttleMs, now, timers, onActivity } = options;
  let lastInputAt = 0;
  let lastReportAt = -Infinity;
  let trailing: unknown = null;
  // Passive: we never call preventDefault, so scrolling is never held up by us.
  const listenerOptions: AddEventListenerOptions = { capture: true, passive: true };

  const report = (): void => {
    trailing = null;
    lastReportAt = lastInputAt;
    onActivity(lastInputAt);
  };
  const onInput = (): void => {
    lastInputAt = now();
    if (trailing !== null) return;
    const waitMs = lastReportAt + throttleMs - lastInputAt;
    if (waitMs <= 0) report();
    else trailing = timers.setTimeout(report, waitMs);
  };

  for (const name of eventNames) target.addEventListener(name, onInput, listenerOptions);
  return () => {
    for (const name of eventNames) target.removeEventListener(name, onInput, listenerOptions);
    if (trailing !== null) timers.clearTimeout(trailing);
    trailing = null;
  };
}
