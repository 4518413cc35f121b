// The entry of dist/idle-logout.iife.js: everything in one classic script exposing `window.IdleLogout`
// (this module's exports), started from the data attributes of its own <script> element:
//
//   <script src="/idle-logout.iife.js" data-endpoint="/session" data-signed-out-url="/signed-out"></script>
//
//   data-endpoint                     base path of the protocol routes (default "/session")
//   data-signed-out-url               where to go after sign-out; ?reason=idle|user|server|revoked is added
//   data-timeout-url                  where to go after a timeout instead (idle or absolute lifetime; ?reason=idle)
//   data-credentials="include"        the endpoint is another origin of the site (default "same-origin")
//   data-channel-name                 BroadcastChannel / storage name (default "idle-logout")
//   data-locale                       dialog language, e.g. "en", "cy" (default: <html lang>, else "en")
//   data-dialog="false"               no built-in dialog (use IdleLogout.handle.on('warning', …))
//   data-text-<key>="…"               any dialog string, named after its DialogStrings key in kebab case:
//                                     data-text-stay-signed-in → staySignedIn; units per plural category:
//                                     data-text-minute-one, data-text-minute-other (other is required)
//   data-sign-out-button="false"      no "Sign out" button in the dialog
//   data-countdown-in-title="false"   leave document.title alone during the warning
//   data-activity-events="keydown pointerdown"   input that counts as activity (space or comma separated)
//   data-activity-dismisses-warning   input alone closes the warning (as "stay signed in")
//   data-revocation-check-ms="60000"  a session ended elsewhere signs out open tabs within this (0: never)
//   data-activity-origins="https://editor.example"   cross-origin iframes whose posted 'idle-logout:activity'
//                                     counts as input (space or comma separated); same-origin ones count anyway
//   data-autostart="false"            do not start; call IdleLogout.startIdleLogout({...}) yourself
//   data-keep-work                    keep the values of [data-idle-logout-keep] fields across a sign-out
//                                     (WCAG 2.2.5): saved before any sign-out, back after the next sign-in;
//                                     a value replaces the selector; the signed-out URL gets &kept=<fields>
//   data-keep-work-user="<id>"        whose work it is, so one user's draft never shows for another
//
// `IdleLogout.handle` is the running handle (stop, staySignedIn, signOut, getRemainingMs, getPhase, hold, on);
// it follows later `IdleLogout.startIdleLogout()` calls and is undefined once stopped.
// `IdleLogout.hold(reason)` holds the session on the running handle and returns the release.
import { createWorkKeeper } from './keep-work.ts';
import { keepingWork, optionsFromScript } from './script-options.ts';
import { currentHandle, startIdleLogout, type IdleLogoutHandle } from './start.ts';

// The global's names, each documented in the README's script-tag section (client/script-tag.iife.test.ts checks).
export { startIdleLogout };
export { DEFAULT_ACTIVITY_EVENTS } from './activity.ts';
export { inactivityNotice } from './strings.ts';
export { createWorkKeeper } from './keep-work.ts';

function autostart(): IdleLogoutHandle | undefined {
  // currentScript is this <script> only while it first runs (classic scripts, async or defer too).
  const script = globalThis.document?.currentScript;
  if (!script || script.dataset.autostart === 'false') return undefined;
  const options = optionsFromScript(script);
  const { keepWork, keepWorkUser } = script.dataset;
  if (keepWork === undefined) return startIdleLogout(options);
  const keeper = createWorkKeeper({ document, userKey: keepWorkUser ?? '', ...(keepWork ? { selector: keepWork } : {}) });
  const started = startIdleLogout(keepingWork(options, keeper, (url) => location.assign(url)));
  const stopListening = started.on('active', () => {
    stopListening();
    const restore = () => keeper.restore().catch((error: unknown) => console.error('idle-logout: restoring kept work failed', error));
    // This script runs in <head>; the session can be known before the fields are parsed, and a
    // field the parser has not finished would lose what we put in it.
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', restore, { once: true });
    else void restore();
  });
  return started;
}

autostart();

/**
 * Keeps the running session alive until the returned release is called (`IdleLogoutHandle.hold`);
 * before any start and after `stop()` there is nothing to hold: the release does nothing.
 *
 * @example
 * const release = IdleLogout.hold('upload');
 */
export const hold = (reason?: string): (() => void) => currentHandle?.hold(reason) ?? (() => {});

/**
 * The running handle: the one started from the data attributes, then that of the latest
 * `IdleLogout.startIdleLogout()`; undefined before any start and after `stop()`. A live binding,
 * so `IdleLogout.handle` is a getter in the script-tag file and never goes stale.
 */
export { currentHandle as handle } from './start.ts';
