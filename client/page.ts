// What the user sees of the session on this page: the warning (dialog and title countdown), the way
// out after a sign-out, and a page the back/forward cache brings back. It decides nothing: the core
// says which phase shows and when; this shell draws it.
import type { SignedOutReason } from './core.ts';
import { createWarningDialog, type DialogNotice, type WarningDialog } from './dialog.ts';
import type { ResolvedOptions } from './options.ts';
import { countdownTitle } from './strings.ts';

export interface PageShell {
  /** Draws the countdown: the dialog (opened by the first) and the title. */
  showCountdown(remainingMs: number, notice?: DialogNotice): void;
  /** Closes the warning: the dialog, and the title back to the page's own. */
  closeWarning(): void;
  /**
   * Signed out: the warning closes (offline, the dialog says so instead). Returns the way out —
   * the signed-out URL, at once or once back online — to take after the app has been told.
   */
  showSignedOut(reason: SignedOutReason): () => void;
  /** Whether a read started now is the fresh one a page restored from the back/forward cache waits for. */
  awaitingFreshRecord(): boolean;
  /** A fresh record says the session is live: a restored page shows again. */
  reveal(): void;
  /** Removes its listeners, the dialog and the countdown title; a hidden page shows again. */
  stop(): void;
}

export interface PageShellOptions {
  window: Window;
  document: Document;
  options: Pick<ResolvedOptions, 'dialog' | 'countdownInTitle' | 'signedOutUrl' | 'timeoutUrl'>;
  navigate(url: string): void;
  /** The dialog's buttons. */
  onStay(): void;
  onSignOut(): void;
  /** A page came back from the back/forward cache while signed in: read the shared record now. */
  onRestored(): void;
}

/**
 * @example
 * const page = createPageShell({ window, document, options: resolveOptions({}), navigate: (url) => location.assign(url), onStay, onSignOut, onRestored: read });
 * page.showCountdown(59_000);
 */
export function createPageShell({ window: win, document: doc, options: o, navigate, onStay, onSignOut, onRestored }: PageShellOptions): PageShell {
  let dialog: WarningDialog | undefined;
  /** The page's own title, to restore after the warning, and the countdown title we last wrote. */
  let titleBeforeWarning: string | null = null;
  let titleWritten: string | null = null;
  /** Aborted by stop(): removes pagehide, pageshow and a pending navigation once back online. */
  const listening = new AbortController();
  const { signal } = listening;
  /** The sign-out this page showed (null: none). */
  let signedOut: SignedOutReason | null = null;
  /** 0: shown; 1: hidden for the back/forward cache; 2: restored, hidden until a fresh record says live. */
  let concealed = 0;

  const locale = (): string => (o.dialog && o.dialog.locale) || doc.documentElement.lang || 'en';
  const openDialog = (): WarningDialog | undefined =>
    o.dialog
      ? (dialog ??= createWarningDialog({ ...o.dialog, document: doc, locale: locale(), onStay, onSignOut }))
      : undefined;

  /** Where this sign-out leads, with its reason; undefined: nowhere, the page stays. */
  const signedOutHref = (reason: SignedOutReason): string | undefined => {
    const target = (reason === 'idle' && o.timeoutUrl) || o.signedOutUrl;
    if (!target) return undefined;
    const url = new URL(target, doc.baseURI);
    url.searchParams.set('reason', reason);
    return url.href;
  };

  const closeWarning = (): void => {
    dialog?.hide();
    // Only if the title is still ours: an app that set its own title after the last tick keeps it.
    if (titleBeforeWarning !== null && doc.title === titleWritten) doc.title = titleBeforeWarning;
    titleBeforeWarning = titleWritten = null;
  };

  // The back/forward cache keeps a page as it was and shows it again on Back with no request,
  // unless it was sent `Cache-Control: no-store` — after a sign-out too, here or in another tab
  // while the page sat in the cache. So a page going into the cache hides its content, and a
  // restored one shows it again only once a fresh read of the shared record says the session is
  // live (`reveal`); a page this tab saw signed out is replaced at once (replace, not assign:
  // Back must not lead to it again). pagehide/pageshow, never unload, so live pages stay eligible
  // for the cache. Unlike the wake-ups, these stay after the sign-out, until stop().
  const conceal = (to: number): void => {
    concealed = to;
    // visibility, not display: the layout (and the scroll position Back restores) stays as it was.
    doc.documentElement.style.visibility = to ? 'hidden' : '';
  };
  const onPageHide = (event: Event): void => {
    if ((event as PageTransitionEvent).persisted) conceal(1);
  };
  const onPageShow = (event: Event): void => {
    if (!(event as PageTransitionEvent).persisted) return;
    if (!signedOut) {
      conceal(2);
      return onRestored();
    }
    const href = signedOutHref(signedOut);
    if (href) win.location.replace(href);
    else win.location.reload();
  };
  win.addEventListener('pagehide', onPageHide, { signal });
  win.addEventListener('pageshow', onPageShow, { signal });
  // Back to a page the cache did not keep loads it from the HTTP cache, also with no request
  // (history navigations take stale entries; only no-store stops it): hidden the same way.
  if ((win.performance?.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.type === 'back_forward') conceal(2);

  return {
    showCountdown(remainingMs, notice) {
      openDialog()?.show(remainingMs, notice);
      if (!o.countdownInTitle) return;
      // A title that is not the one we wrote is the app's own, set meanwhile: restore that one.
      if (doc.title !== titleWritten) titleBeforeWarning = doc.title;
      doc.title = countdownTitle(remainingMs, locale(), o.dialog ? o.dialog.strings : undefined);
      titleWritten = doc.title;
    },
    closeWarning,
    showSignedOut(reason) {
      signedOut = reason;
      const href = signedOutHref(reason);
      // Offline, navigating would show the browser's network-error page (and lose the page): say
      // "signed out" here instead, and go once the browser is back online.
      const offline = href && !win.navigator.onLine;
      closeWarning();
      // (Re-)opened, so screen readers announce it with its new name.
      if (offline) openDialog()?.show(0, 'signed-out');
      return () => {
        if (!href) return;
        if (offline) win.addEventListener('online', () => navigate(href), { once: true, signal });
        else navigate(href);
      };
    },
    awaitingFreshRecord: () => concealed > 1,
    reveal: () => concealed && conceal(0),
    stop() {
      closeWarning();
      listening.abort();
      if (concealed) conceal(0);
      dialog = undefined;
    },
  };
}
