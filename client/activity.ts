// Turns user input into throttled `activity` reports. Only real input counts: `visibilitychange`,
// `focus`, `pageshow` and waking the machine are wake-up checks (scheduler.ts), never activity —
// react-idle-timer counted them, so merely looking at a tab kept sessions alive (apps that use it took
// them out again: ef-cms PR #4053, gc-digital-talent PR #17842).
import type { Timers } from './timers.ts';

/** Input that counts as activity by default. `pointermove` covers mouse, pen and touch movement. */
export const DEFAULT_ACTIVITY_EVENTS: readonly string[] = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll'];

/** What a cross-origin frame posts to the page (`parent.postMessage(…)`) to report its user's input. */
export const ACTIVITY_MESSAGE = 'idle-logout:activity';

/** The app's activity options (options.ts, same names and meaning) and the shell's wiring. */
export interface ActivityListenerOptions {
  /** Where to listen (the page's window); capture phase, so `scroll` on any element and stopped events are seen too. */
  target: EventTarget;
  activityEvents: readonly string[];
  /** After a report, input is not listened to for this many ms. */
  activityThrottleMs: number;
  now(): number;
  timers: Timers;
  onActivity(at: number): void;
  /** Origins of cross-origin frames whose `ACTIVITY_MESSAGE` counts as input. Default none. */
  activityOrigins?: readonly string[];
}

/**
 * Reports input at once, then stops listening for `activityThrottleMs`: more input in that window
 * would move the deadline by at most `activityThrottleMs` (500 ms against minutes), so during a burst of
 * `pointermove` (120+ a second) the page runs none of our code and the browser dispatches those
 * events to no listener of ours at all (bench/client.ts measures this). The listener does O(1)
 * work and allocates nothing. Returns a function that removes every listener and the timer.
 *
 * Input inside an iframe is dispatched in the frame's own window and never reaches the page's, so
 * same-origin frames are listened to as well: a capture listener on a document hears the `load` of
 * each of its frames (the event does not bubble, and a document's `load` events skip the window),
 * also of frames added or navigated later. A cross-origin frame cannot be listened to; it may post
 * `ACTIVITY_MESSAGE` to this window, which counts only from `activityOrigins`.
 *
 * @example
 * const stop = listenForActivity({ target: window, activityEvents: DEFAULT_ACTIVITY_EVENTS, activityThrottleMs: 500,
 *   now: Date.now, timers: hostTimers, onActivity: (at) => console.log('input at', at) });
 */
export function listenForActivity(options: ActivityListenerOptions): () => void {
  const { target, activityEvents, activityThrottleMs, now, timers, onActivity, activityOrigins = [] } = options;
  /** The page's window and the WindowProxy of each same-origin frame seen (it follows the frame's navigations). */
  const windows = new Set<EventTarget>();
  let resumeTimer: unknown = null;
  // Passive: we never call preventDefault, so scrolling is never held up by us.
  const listenerOptions: AddEventListenerOptions = { capture: true, passive: true };

  const toggle = (on: boolean, list: Iterable<EventTarget> = windows): void => {
    for (const win of list) {
      try {
        // A frame that was removed (closed) or navigated to another origin (throws) is dropped.
        if ((win as Partial<Window>).closed) throw win;
        for (const name of activityEvents) win[on ? 'addEventListener' : 'removeEventListener'](name, onInput, listenerOptions);
      } catch {
        windows.delete(win);
      }
    }
  };
  const listen = (): void => {
    resumeTimer = null;
    toggle(true);
  };
  function onInput(): void {
    onActivity(now());
    toggle(false);
    resumeTimer = timers.setTimeout(listen, activityThrottleMs);
  }
  /** Listens in `win` (the page's window, or a frame's) and in its frames, now and as they load. */
  const watch = (win: EventTarget | null): void => {
    try {
      const doc = (win as Partial<Window>).document; // throws for a cross-origin frame: it may post ACTIVITY_MESSAGE
      windows.add(win!);
      if (resumeTimer === null) toggle(true, [win!]);
      doc?.addEventListener('load', onLoad, true);
      for (const frame of doc?.querySelectorAll('iframe') ?? []) watch(frame.contentWindow);
    } catch {
      // not ours to listen to
    }
  };
  const onLoad = (event: Event): void => {
    const frame = event.target as HTMLIFrameElement;
    if (frame.localName === 'iframe') watch(frame.contentWindow);
  };
  const onMessage = (event: Event): void => {
    const { data, origin } = event as MessageEvent;
    if (data === ACTIVITY_MESSAGE && activityOrigins.includes(origin) && resumeTimer === null) onInput();
  };

  watch(target);
  target.addEventListener('message', onMessage);
  return () => {
    toggle(false); // which drops the frames gone or now cross-origin, whose `document` would throw
    for (const win of windows) (win as Partial<Window>).document?.removeEventListener('load', onLoad, true);
    target.removeEventListener('message', onMessage);
    if (resumeTimer !== null) timers.clearTimeout(resumeTimer);
    resumeTimer = null;
  };
}
