/**
 * The default warning dialog: an accessible modal that says the session is about to end and offers
 * "Stay signed in" and "Sign out". It holds no timers and no rules: the SDK calls `show()` about once
 * a second, then `hide()`, and hears back through `onStay`/`onSignOut`.
 *
 * Built after HMRC's timeout dialog (hmrc-frontend), the best-tested public one: focus moves in and
 * wraps, Escape means "stay", the page behind is inert, the per-second countdown is hidden from
 * screen readers and a polite live region speaks only in coarse steps (their PR #78: announcing
 * every second made screen readers repeat it "over and over"). It also says, once, when staying
 * signed in cannot work: the server is unreachable, the session is at its absolute lifetime, or it
 * ended while the browser is offline.
 *
 * Theming — set these CSS custom properties on any ancestor (e.g. `:root`); they inherit into the
 * dialog's shadow root while the page's other CSS does not:
 *   --idle-logout-accent     primary button and secondary border        (default #1d70b8)
 *   --idle-logout-accent-fg  primary button text                        (default #fff)
 *   --idle-logout-bg         dialog background                          (default Canvas: white, or dark)
 *   --idle-logout-fg         dialog text                                (default CanvasText)
 *   --idle-logout-focus      focus outline                              (default: the text colour)
 *   --idle-logout-backdrop   page overlay                               (default rgb(0 0 0 / .6))
 *   --idle-logout-radius     dialog and button corners                  (default .5rem)
 *   --idle-logout-font       font family                                (default system-ui, sans-serif)
 * The default colours follow `prefers-color-scheme: dark`: set `bg` and `fg` together, or a dark
 * scheme may pair your background with the default (light) text. In forced colours (Windows High
 * Contrast) the primary button is drawn in inverted system colours so the two buttons differ.
 */
import { type DialogStrings, fill, formatCountdown, formatDuration, resolveStrings, textLocale } from './strings.ts';

/**
 * Why staying signed in cannot work right now, shown (and spoken once) in the dialog:
 * - `unreachable`: the server cannot be reached; the SDK keeps retrying.
 * - `final`: the session is at its absolute lifetime; no "Stay signed in" button.
 * - `signed-out`: the session ended while the browser is offline; the page moves on once online.
 */
export type DialogNotice = 'unreachable' | 'final' | 'signed-out';

export interface WarningDialogOptions {
  /** The document to show the dialog in. */
  document: Document;
  /** Replaces any of the built-in strings for `locale`. */
  strings?: Partial<DialogStrings>;
  /**
   * BCP 47 tag; picks the built-in strings ("en", "cy"), plural rules and the dialog's `lang`.
   * A language with no built-in strings falls back to English (and `lang="en"`) unless `strings` is given. Default "en".
   */
  locale?: string;
  /** "Stay signed in" was pressed, or Escape. The dialog stays open until `hide()`. */
  onStay(): void;
  /** "Sign out" was pressed. The dialog stays open until `hide()`. */
  onSignOut(): void;
  /**
   * false: no "Sign out" button (as HMRC's `hideSignOutButton`), for journeys where signing out
   * is not the user's to choose. Escape still stays. At the absolute lifetime, where "Stay signed
   * in" is hidden too, the dialog then has no buttons: it says why (the time limit) and when, and
   * focus rests on the dialog. Default true.
   */
  signOutButton?: boolean;
}

export interface WarningDialog {
  /**
   * Opens the dialog: moves focus in and makes the page behind inert. If open, updates the visible
   * countdown and notice, and the spoken message when it reaches a new step.
   */
  show(remainingMs: number, notice?: DialogNotice): void;
  /** Closes the dialog, restores the page and returns focus to where it was. */
  hide(): void;
}

/**
 * The remaining time the live region should speak, in ms: whole minutes (rounded up) while more than
 * a minute remains, then 60, 40 and 20 seconds, then 10 seconds once. Rounding up makes each
 * new step appear exactly when it becomes true ("1 minute" at 1:00, "40 seconds" at 0:40).
 *
 * @example
 * spokenRemainingMs(95_000) // 120_000 → "2 minutes"
 * spokenRemainingMs(35_000) // 40_000 → "40 seconds"
 * spokenRemainingMs(3_000) // 10_000 → "10 seconds"
 */
export function spokenRemainingMs(remainingMs: number): number {
  const seconds = Math.ceil(remainingMs / 1000);
  if (seconds > 60) return Math.ceil(seconds / 60) * 60_000;
  if (seconds > 10) return Math.ceil(seconds / 20) * 20_000;
  return 10_000;
}

/**
 * What the dialog says when it opens, in ms: the time shown (whole seconds, rounded up as the
 * countdown is), in whole minutes rounded DOWN above a minute — never more than is left, so a
 * tab opened at 1:30 says "1 minute", not "2 minutes".
 *
 * @example
 * openingSpokenMs(90_000) // 60_000 → "1 minute"
 * openingSpokenMs(119_990) // 120_000 → "2 minutes" (the countdown shows 2:00)
 * openingSpokenMs(34_200) // 35_000 → "35 seconds"
 */
export function openingSpokenMs(remainingMs: number): number {
  const seconds = Math.max(1, Math.ceil(remainingMs / 1000));
  return seconds > 60 ? Math.floor(seconds / 60) * 60_000 : seconds * 1000;
}

// A native modal <dialog> (see createWarningDialog). Its UA style centres it, caps its size to the
// viewport (max-width/height: 100% − 2em − 6px, so `width` can ask for 32rem) and scrolls it,
// which keeps it usable at 320 px wide and 200% zoom; buttons wrap; long words (Welsh
// "mewngofnodi") may break rather than overflow (`overflow-wrap: anywhere`, inherited by the
// buttons, also lets them shrink below their longest word). No opening animation: it cost more
// bytes than it was worth, and never moving is what prefers-reduced-motion users want anyway.
// Dark mode: `color-scheme: light dark` makes the default Canvas/CanvasText follow
// prefers-color-scheme; the accent (#1d70b8) only fills the primary button (white text, 5.2:1) and
// draws the secondary border (3.7:1 on a dark Canvas, ≥ 3:1 for non-text), so it needs no dark
// variant. A transparent border becomes visible in forced colours, where both buttons would
// otherwise be the same ButtonFace box: the primary one is inverted in system colours instead
// (they still follow the user's palette). The heading keeps the UA's h2 size (1.5em of the dialog's
// 1rem); the theme properties are spelled out where used (gzip stores a repeat in a few bytes, the
// short aliases once cost more; the font shorthand too). #0009 is rgb(0 0 0 / .6), #0000 transparent.
const css =
  ':host{all:initial}' +
  'dialog{color-scheme:light dark;width:32rem;padding:min(1.5rem,5vw);overflow-wrap:anywhere;border:2px solid #0000;' +
  'font:1rem/1.5 var(--idle-logout-font,system-ui,sans-serif)}' +
  'dialog,button{background:var(--idle-logout-bg,Canvas);color:var(--idle-logout-fg,CanvasText);border-radius:var(--idle-logout-radius,.5rem)}' +
  '::backdrop{background:var(--idle-logout-backdrop,#0009)}' +
  'h2,p{margin:0 0 1rem}p:empty{margin:0}h2{line-height:1.25}' +
  '.c{font:700 2.5rem/1 var(--idle-logout-font,system-ui,sans-serif);font-variant-numeric:tabular-nums}' +
  '.b{display:flex;flex-wrap:wrap;gap:.75rem}' +
  'button{flex:auto;min-height:2.75rem;padding:.5rem 1rem;font:600 1rem/1.5 var(--idle-logout-font,system-ui,sans-serif);border:2px solid var(--idle-logout-accent,#1d70b8)}' +
  '.p{background:var(--idle-logout-accent,#1d70b8);color:var(--idle-logout-accent-fg,#fff)}' +
  'button:focus-visible{outline:3px solid var(--idle-logout-focus,var(--idle-logout-fg,CanvasText));outline-offset:2px}' +
  '@media(forced-colors){.p{forced-color-adjust:none;background:ButtonText;color:ButtonFace}}';

/**
 * Creates the warning dialog. Nothing is added to the page until `show()`.
 *
 * A native `<dialog>` opened with `showModal()`, inside an open shadow root (scoped styles, ids that
 * cannot clash with the page). `showModal()` puts it in the top layer, above every z-index and above
 * the app's own modal dialogs and popovers opened before it, and makes the rest of the document
 * inert — the app's modal included (HTML: "blocked by a modal dialog"). Whatever enters the top
 * layer later would be drawn above it, so when the app opens a modal (focus moves out to it) or a
 * popover (`toggle`) while the warning shows, the dialog closes and re-opens to be on top again;
 * that is an event, never polling. On `hide()` focus returns to where it was, which may be the
 * app's modal. Escape is handled on keydown (cancelling it stops the browser's close request) and
 * `closedby="none"` stops the rest: Chrome's close-watcher rules would let a second Escape close
 * a modal dialog even when `cancel` is prevented, without the SDK knowing.
 *
 * @example
 * const dialog = createWarningDialog({
 *   document,
 *   locale: 'cy',
 *   onStay: () => handle.staySignedIn(),
 *   onSignOut: () => handle.signOut(),
 * });
 * dialog.show(120_000); // then again with the time left each second; dialog.hide() when done
 */
export function createWarningDialog(options: WarningDialogOptions): WarningDialog {
  const { document: doc, onStay, onSignOut, signOutButton = true } = options;
  const strings = resolveStrings(options.locale, options.strings);
  const locale = textLocale(options.locale, options.strings);

  let host: HTMLElement | undefined;
  let root: ShadowRoot;
  let dialog: HTMLDialogElement;
  let heading: HTMLElement;
  let countdown: HTMLElement;
  let message: HTMLElement;
  let note: HTMLElement;
  let stay: HTMLButtonElement;
  let signOut: HTMLButtonElement;
  let spokenMs = NaN;
  /** Aborted on hide: removes the document listeners of an open dialog. */
  let listening: AbortController | undefined;

  const el = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    parent: Node,
    attributes: Record<string, string> = {},
    text = '',
  ): HTMLElementTagNameMap[K] => {
    const node = doc.createElement(tag);
    for (const name in attributes) node.setAttribute(name, attributes[name]!);
    node.textContent = text;
    parent.appendChild(node);
    return node;
  };
  /** Sets text only when it changes: a live region speaks every write. */
  const say = (node: Node, text: string): void => {
    if (node.textContent !== text) node.textContent = text;
  };

  function build(): HTMLElement {
    const made = doc.createElement('div');
    made.setAttribute('data-idle-logout-dialog', '');
    root = made.attachShadow({ mode: 'open' });
    // A constructed stylesheet is not blocked by a CSP without 'unsafe-inline' in style-src, which
    // a <style> element would be (adoptedStyleSheets: Chrome 73, Firefox 101, Safari 16.4).
    const sheet = new doc.defaultView!.CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
    // tabindex=-1: once signed out (no buttons), focus moves to the dialog itself, so screen
    // readers announce its new name; a click on its text keeps focus in it.
    dialog = el('dialog', root, {
      role: 'alertdialog',
      'aria-labelledby': 'h',
      'aria-describedby': 'm n',
      tabindex: '-1',
      closedby: 'none',
      lang: locale,
    });
    heading = el('h2', dialog, { id: 'h' });
    // Screen readers hear the message, not the ticking m:ss. It is the dialog's description (read
    // when it opens) and a polite live region, changed only when the spoken step changes. The
    // notice is a second one, written only when it changes, so it is said once.
    countdown = el('p', dialog, { class: 'c', 'aria-hidden': 'true' });
    // (role=status is a polite, atomic live region.)
    message = el('p', dialog, { id: 'm', role: 'status' });
    note = el('p', dialog, { id: 'n', role: 'status' });
    const buttons = el('div', dialog, { class: 'b' });
    stay = el('button', buttons, { type: 'button', class: 'p' }, strings.staySignedIn);
    signOut = el('button', buttons, { type: 'button' }, strings.signOut);
    stay.onclick = onStay;
    signOut.onclick = onSignOut;
    return made;
  }

  /** Focuses the first control still shown: "Stay", else "Sign out", else the dialog itself. */
  function focusFirst(): void {
    (stay.hidden ? (signOut.hidden ? dialog : signOut) : stay).focus();
  }

  function render(remainingMs: number, notice?: DialogNotice): void {
    const over = notice === 'signed-out';
    say(heading, over ? strings.signedOutOffline : strings.heading);
    say(countdown, over ? '' : formatCountdown(remainingMs));
    say(note, notice === 'unreachable' ? strings.unreachable : notice === 'final' ? strings.timeLimit : '');
    stay.hidden = over || notice === 'final';
    signOut.hidden = over || !signOutButton;
    // Focus on a button that is now hidden would fall to <body>: move it to what is left.
    if (stay.hidden && listening) focusFirst();
    // On opening, the time as it is, never more (openingSpokenMs). After that, only the next
    // coarse step below what was said.
    const step = over ? 0 : Number.isNaN(spokenMs) ? openingSpokenMs(remainingMs) : Math.min(spokenMs, spokenRemainingMs(remainingMs));
    if (step !== spokenMs) {
      spokenMs = step;
      say(message, step ? fill(strings.message, { time: formatDuration(step, locale, strings) }) : '');
    }
  }

  // On the document, not the dialog, so Escape and Tab work wherever focus is; in the capture
  // phase, so the app's own key handlers cannot swallow them first.
  function onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      onStay();
    } else if (event.key === 'Tab') {
      // At most two buttons: from either one, Tab and Shift+Tab both go to the other; from anywhere
      // else, Tab goes to the first and Shift+Tab to the last. With one (or none), it stays there.
      event.preventDefault();
      const active = root.activeElement;
      if (stay.hidden || signOut.hidden) focusFirst();
      else (active === stay || (active !== signOut && event.shiftKey) ? signOut : stay).focus();
    }
  }

  /** The app put something in the top layer above the dialog: re-open it on top. */
  function raise(event: Event): void {
    // Closing restores focus to where it was before (a nested focusin while closed: ignored).
    if (!dialog.open || event.composedPath().includes(host!) || (event as ToggleEvent).newState === 'closed') return;
    dialog.close();
    dialog.showModal();
    focusFirst();
  }

  function show(remainingMs: number, notice?: DialogNotice): void {
    if (listening) return render(remainingMs, notice);
    host ??= build();
    // Content is set before the dialog opens, so it is read as the description on opening rather
    // than announced as a live-region change.
    spokenMs = NaN;
    render(remainingMs, notice);
    doc.body.appendChild(host);
    dialog.showModal();
    // Capture: `toggle` does not bubble. An app modal moves focus into itself (`focusin`), and
    // fires `toggle` too where dialogs do (Chrome 132); popovers fire `toggle`.
    const options = { capture: true, signal: (listening = new AbortController()).signal };
    doc.addEventListener('keydown', onKeyDown, options);
    doc.addEventListener('focusin', raise, options);
    doc.addEventListener('toggle', raise, options);
    focusFirst();
  }

  function hide(): void {
    if (!listening) return;
    listening.abort();
    listening = undefined;
    // Returns focus to where it was when the dialog (last) opened: HTML's "previously focused
    // element", which may be inside a web component or the app's own modal.
    dialog.close();
    host!.remove();
  }

  return { show, hide };
}
