// One one-shot timer to the next moment the core said something can change, plus the wake-up events
// after which a tab must look again. Chrome runs chained timers in a tab hidden for more than 5
// minutes once a minute (intensive throttling, Chrome 88) and a timer does not count time asleep
// (it fires late), so we never keep an interval: we arm one timer and re-check on every wake-up.
import type { Timers } from './timers.ts';

/** Browsers run a delay above 2^31 − 1 ms (24.8 days) at once; a longer wait is re-armed on wake. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Page events after which the tab may have missed time or messages. `resume` ends a Page Lifecycle
 * freeze; `pageshow` a return from the back/forward cache (we listen to no `unload`/`beforeunload`,
 * which would keep pages out of it). None of these is user activity.
 */
export const WAKE_UP_EVENTS = {
  document: ['visibilitychange', 'resume'],
  window: ['pageshow', 'focus', 'online'],
} as const;

export interface Scheduler {
  /** Arms the one timer for `wakeAt` (epoch ms), replacing any earlier one; null disarms it. */
  wakeAt(wakeAt: number | null): void;
  stop(): void;
}

export interface SchedulerOptions {
  now(): number;
  timers: Timers;
  /** The timer fired: the tab looks again at what is due. */
  onWake(): void;
}

/**
 * @example
 * const scheduler = createScheduler({ now: Date.now, timers: hostTimers, onWake: () => check() });
 * scheduler.wakeAt(Date.now() + 60_000);
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { now, timers, onWake } = options;
  let timer: unknown = null;
  const fire = (): void => {
    timer = null;
    onWake();
  };
  return {
    wakeAt(wakeAt) {
      if (timer !== null) timers.clearTimeout(timer);
      timer = wakeAt === null ? null : timers.setTimeout(fire, Math.min(MAX_DELAY_MS, Math.max(0, wakeAt - now())));
    },
    stop() {
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}

/** Page events after which the page stops running tasks, and those after which it runs again. */
export const SUSPEND_EVENTS = {
  document: ['freeze', 'resume'],
  window: ['pagehide', 'pageshow'],
} as const;

type PageEvents = { readonly document: readonly string[]; readonly window: readonly string[] };

/** Adds `listener` for `events` on the window and the document; returns a function that removes them. */
function listenTo(win: EventTarget, doc: EventTarget, events: PageEvents, listener: (event: Event) => void): () => void {
  const each = (method: 'addEventListener' | 'removeEventListener'): void => {
    for (const name of events.document) doc[method](name, listener);
    for (const name of events.window) win[method](name, listener);
  };
  each('addEventListener');
  return () => each('removeEventListener');
}

/**
 * Calls `onWake` on every wake-up event; returns a function that removes the listeners.
 *
 * @example
 * const stop = listenForWakeUps(window, document, (type) => recheck(type));
 */
export function listenForWakeUps(win: EventTarget, doc: EventTarget, onWake: (type: string) => void): () => void {
  return listenTo(win, doc, WAKE_UP_EVENTS, (event) => onWake(event.type));
}

/**
 * Calls `onSuspend(true)` when the page is about to stop running tasks — Page Lifecycle `freeze`
 * (Chromium's Energy Saver, Android, memory pressure) or `pagehide` into the back/forward cache —
 * and `onSuspend(false)` when it runs again (`resume`, `pageshow` from the cache). A page entering
 * the cache gets both `pagehide` and `freeze` (https://developer.chrome.com/docs/web-platform/page-lifecycle-api),
 * so each may be reported twice. A `pagehide` not into the cache is the page going for good:
 * `onLeave`. Returns a function that removes the listeners.
 *
 * @example
 * const stop = listenForSuspend(window, document, (suspended) => (suspended ? closeDatabase() : null), releaseHolds);
 */
export function listenForSuspend(win: EventTarget, doc: EventTarget, onSuspend: (suspended: boolean) => void, onLeave?: () => void): () => void {
  return listenTo(win, doc, SUSPEND_EVENTS, (event) => {
    // pagehide and pageshow count only into and out of the back/forward cache (`persisted`).
    if ((event as PageTransitionEvent).persisted !== false) onSuspend(event.type === 'freeze' || event.type === 'pagehide');
    else if (event.type === 'pagehide') onLeave?.();
  });
}
