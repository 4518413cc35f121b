/**
 * The default warning dialog: an accessible modal that says the session is about to end and offers
 * "Stay signed in" and "Sign out". It holds no timers and no rules: the SDK calls `show()`, then
 * `update()` about once a second, then `hide()`, and hears back through `onStay`/`onSignOut`.
 *
 * Built after HMRC's timeout dialog (hmrc-frontend), the best-tested public one: focus moves in and
 * wraps, Escape means "stay", the page behind is inert, the per-second countdown is hidden from
 * screen readers and a polite live region speaks only in coarse steps (their PR #78: announcing
 * every second made screen readers repeat it "over and over").
 *
 * Theming — set these CSS custom properties on any ancestor (e.g. `:root`); they inherit into the
 * dialog's shadow root while the page's other CSS does not:
 *   --idle-logout-accent     primary button and secondary border/text   (default #1d70b8)
 *   --idle-logout-accent-fg  primary button text                        (default #fff)
 *   --idle-logout-bg         dialog background                          (default #fff)
 *   --idle-logout-fg         dialog text                                (default #0b0c0c)
 *   --idle-logout-focus      focus outline                              (default: the text colour)
 *   --idle-logout-backdrop   page overlay                               (default rgb(0 0 0 / .6))
 *   --idle-logout-radius     dialog and button corners                  (default .5rem)
 *   --idle-logout-font       font family                                (default system-ui, sans-serif)
 */
import { type DialogStrings, fill, formatCountdown, formatDuration, resolveStrings, textLocale } from './strings.ts';

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
}

export interface WarningDialog {
  /** Opens the dialog (or updates it if open): moves focus in and makes the page behind inert. */
  show(remainingMs: number): void;
  /** Updates the visible countdown, and the spoken message when it reaches a new step. */
  update(remainingMs: number): void;
  /** Closes the dialog, restores the page and returns focus to where it was. */
  hide(): void;
  /** Closes the dialog and forgets its elements. */
  destroy(): void;
  readonly isOpen: boolean;
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

// Layout works at 320 px wide and 200% zoom: relative units, a max-width instead of a width, buttons
// that wrap, and a scrolling overlay with `margin: auto` centring (flex centring would clip the top
// of a dialog taller than the viewport); long words (Welsh "mewngofnodi") may break rather than
// overflow. Transparent borders become visible in forced-colours mode.
const css =
  ':host{all:initial;position:fixed;inset:0;z-index:2147483647;display:flex;padding:min(1rem,3vw);overflow:auto;' +
  'background:var(--idle-logout-backdrop,rgb(0 0 0/.6));color:var(--idle-logout-fg,#0b0c0c);' +
  'font:1rem/1.5 var(--idle-logout-font,system-ui,sans-serif)}' +
  '.d{box-sizing:border-box;margin:auto;width:100%;max-width:32rem;padding:min(1.5rem,5vw);overflow-wrap:anywhere;' +
  'background:var(--idle-logout-bg,#fff);border:2px solid transparent;border-radius:var(--idle-logout-radius,.5rem);outline:0}' +
  'h2{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}' +
  'p{margin:0 0 1rem}' +
  '.c{font-size:2.5rem;font-weight:700;line-height:1;font-variant-numeric:tabular-nums}' +
  '.b{display:flex;flex-wrap:wrap;gap:.75rem}' +
  'button{flex:1 1 auto;min-width:0;min-height:2.75rem;padding:.5rem 1rem;font:inherit;font-weight:600;cursor:pointer;' +
  'border:2px solid var(--idle-logout-accent,#1d70b8);border-radius:var(--idle-logout-radius,.5rem);' +
  'background:var(--idle-logout-bg,#fff);color:var(--idle-logout-accent,#1d70b8)}' +
  '.p{background:var(--idle-logout-accent,#1d70b8);color:var(--idle-logout-accent-fg,#fff)}' +
  'button:focus-visible{outline:3px solid var(--idle-logout-focus,var(--idle-logout-fg,#0b0c0c));outline-offset:2px}' +
  '@media (prefers-reduced-motion:no-preference){.d{animation:i .2s ease-out}}' +
  '@keyframes i{from{opacity:0;transform:translateY(1rem)}}';

/**
 * Creates the warning dialog. Nothing is added to the page until `show()`.
 *
 * Why not a native `<dialog>` with `showModal()`: Chrome's close-watcher rules let a second Escape
 * close a modal `<dialog>` even when `cancel` is prevented, which would close ours without the SDK
 * knowing; and its inertness cannot be checked in happy-dom. So this is a `role="alertdialog"` in an
 * open shadow root (scoped styles, ids that cannot clash with the page), with the page's other
 * top-level elements made `inert` and Tab wrapped by hand.
 *
 * @example
 * const dialog = createWarningDialog({
 *   document,
 *   locale: 'cy',
 *   onStay: () => handle.staySignedIn(),
 *   onSignOut: () => handle.signOut(),
 * });
 * dialog.show(120_000); // then dialog.update(remainingMs) each second, dialog.hide() when done
 */
export function createWarningDialog(options: WarningDialogOptions): WarningDialog {
  const { document: doc, onStay, onSignOut } = options;
  const strings = resolveStrings(options.locale, options.strings);
  const locale = textLocale(options.locale, options.strings);

  let host: HTMLElement | undefined;
  let root: ShadowRoot;
  let countdown: HTMLElement;
  let message: HTMLElement;
  let stay: HTMLButtonElement;
  let signOut: HTMLButtonElement;
  let spokenMs = NaN;
  let isOpen = false;
  let returnFocusTo: HTMLElement | undefined;
  let madeInert: Element[] = [];
  let bodyWatcher: MutationObserver | undefined;

  /** Makes page elements inert. Only those we made inert are restored; the app's own stay so. */
  function makeInert(nodes: Node[]): void {
    for (const node of nodes) {
      if (node.nodeType !== 1 || node === host) continue;
      const element = node as Element;
      if (element.hasAttribute('inert')) continue;
      element.setAttribute('inert', '');
      madeInert.push(element);
    }
  }

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

  function build(): HTMLElement {
    const made = doc.createElement('div');
    made.setAttribute('data-idle-logout-dialog', '');
    root = made.attachShadow({ mode: 'open' });
    // A constructed stylesheet is not blocked by a CSP without 'unsafe-inline' in style-src, which
    // a <style> element would be; the <style> is only for browsers without adoptedStyleSheets.
    const Sheet = doc.defaultView?.CSSStyleSheet;
    if (Sheet && 'adoptedStyleSheets' in root) {
      const sheet = new Sheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } else {
      el('style', root, {}, css);
    }
    // tabindex=-1 keeps focus in the dialog when someone clicks its text.
    const dialog = el('div', root, {
      class: 'd',
      role: 'alertdialog',
      'aria-modal': 'true',
      'aria-labelledby': 'h',
      'aria-describedby': 'm',
      tabindex: '-1',
      lang: locale,
    });
    el('h2', dialog, { id: 'h' }, strings.heading);
    // Screen readers hear the message, not the ticking m:ss. It is the dialog's description (read
    // when it opens) and a polite live region, changed only when the spoken step changes.
    countdown = el('p', dialog, { class: 'c', 'aria-hidden': 'true' });
    message = el('p', dialog, { id: 'm', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    const buttons = el('div', dialog, { class: 'b' });
    stay = el('button', buttons, { type: 'button', class: 'p' }, strings.staySignedIn);
    signOut = el('button', buttons, { type: 'button' }, strings.signOut);
    stay.addEventListener('click', () => onStay());
    signOut.addEventListener('click', () => onSignOut());
    return made;
  }

  function render(remainingMs: number): void {
    const shown = formatCountdown(remainingMs);
    if (countdown.textContent !== shown) countdown.textContent = shown;
    // On opening, the time as it is (whole minutes above one minute, else whole seconds): a tab
    // opened at 0:35, or a 3 s warning, must not say "40 seconds" or "10 seconds". After that,
    // only the next coarse step below what was said.
    const step = Number.isNaN(spokenMs)
      ? remainingMs > 60_000 ? spokenRemainingMs(remainingMs) : Math.max(1, Math.ceil(remainingMs / 1000)) * 1000
      : Math.min(spokenMs, spokenRemainingMs(remainingMs));
    if (step !== spokenMs) {
      spokenMs = step;
      message.textContent = fill(strings.message, { time: formatDuration(step, locale, strings) });
    }
  }

  // On the document, not the dialog, so Escape and Tab still work after a click on the backdrop
  // has moved focus to <body>.
  function onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      onStay();
    } else if (event.key === 'Tab') {
      // Two buttons: from either one, Tab and Shift+Tab both go to the other; from anywhere else,
      // Tab goes to the first and Shift+Tab to the last.
      event.preventDefault();
      const active = root.activeElement;
      (active === stay || (active !== signOut && event.shiftKey) ? signOut : stay).focus();
    }
  }

  function show(remainingMs: number): void {
    if (isOpen) return render(remainingMs);
    host ??= build();
    // Content is set before the dialog enters the page, so it is read as the description on
    // opening rather than announced as a live-region change.
    spokenMs = NaN;
    render(remainingMs);
    let active = doc.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    returnFocusTo = active && active !== doc.body ? (active as HTMLElement) : undefined;
    doc.body.appendChild(host);
    makeInert(Array.from(doc.body.children));
    // What the app adds to <body> while the dialog is open (a toast, a chat widget) is behind
    // the modal too.
    bodyWatcher = new (doc.defaultView?.MutationObserver ?? MutationObserver)((changes) => {
      for (const change of changes) makeInert(Array.from(change.addedNodes));
    });
    bodyWatcher.observe(doc.body, { childList: true });
    doc.addEventListener('keydown', onKeyDown);
    isOpen = true;
    stay.focus();
  }

  function hide(): void {
    if (!isOpen) return;
    isOpen = false;
    doc.removeEventListener('keydown', onKeyDown);
    bodyWatcher?.disconnect();
    bodyWatcher = undefined;
    host!.remove();
    for (const child of madeInert) child.removeAttribute('inert');
    madeInert = [];
    if (returnFocusTo?.isConnected) returnFocusTo.focus();
    returnFocusTo = undefined;
  }

  return {
    show,
    update: (remainingMs) => {
      if (isOpen) render(remainingMs);
    },
    hide,
    destroy() {
      hide();
      host = undefined;
    },
    get isOpen() {
      return isOpen;
    },
  };
}
