// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type DialogNotice, type WarningDialog, type WarningDialogOptions, createWarningDialog, openingSpokenMs, spokenRemainingMs } from './dialog.ts';

let dialogs: WarningDialog[] = [];

function open(options: Partial<WarningDialogOptions> = {}, remainingMs = 120_000, notice?: DialogNotice) {
  const onStay = vi.fn();
  const onSignOut = vi.fn();
  const dialog = createWarningDialog({ document, onStay, onSignOut, ...options });
  dialogs.push(dialog);
  dialog.show(remainingMs, notice);
  return { dialog, onStay, onSignOut, ...parts() };
}

function parts() {
  const host = document.querySelector<HTMLElement>('[data-idle-logout-dialog]')!;
  const root = host.shadowRoot!;
  const modal = root.querySelector<HTMLDialogElement>('[role="alertdialog"]')!;
  const [stay, signOut] = Array.from(root.querySelectorAll('button'));
  const byId = (attribute: string, index = 0) => root.getElementById(modal.getAttribute(attribute)!.split(' ')[index]!)!;
  return {
    host,
    root,
    modal,
    stay: stay!,
    signOut: signOut!,
    heading: byId('aria-labelledby'),
    message: byId('aria-describedby'),
    notice: byId('aria-describedby', 1),
    countdown: root.querySelector<HTMLElement>('[aria-hidden="true"]')!,
  };
}

/** The element that really has focus, looking through shadow roots. */
function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

function press(key: string, shiftKey = false): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, shiftKey, bubbles: true, composed: true, cancelable: true });
  (focused() ?? document.body).dispatchEvent(event);
  return event;
}

const page = '<main id="app"><button id="edit">Edit</button></main><aside id="chat" inert>Chat</aside><footer id="foot">f</footer>';

let pageHtml: string; // as the DOM serialises `page`

beforeEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = page;
  pageHtml = document.body.innerHTML;
});

afterEach(() => {
  for (const dialog of dialogs) dialog.hide();
  dialogs = [];
});

describe('spokenRemainingMs', () => {
  test.each([
    [600_000, 600_000],
    [120_000, 120_000],
    [95_000, 120_000],
    [60_001, 120_000],
    [60_000, 60_000],
    [41_000, 60_000],
    [40_000, 40_000],
    [21_000, 40_000],
    [20_000, 20_000],
    [11_000, 20_000],
    [10_000, 10_000],
    [1, 10_000],
    [0, 10_000],
    [-3_000, 10_000],
  ])('%i ms remaining → speak %i ms', (remainingMs, spokenMs) => {
    expect(spokenRemainingMs(remainingMs)).toBe(spokenMs);
  });

  test('over a two-minute countdown, only minutes, then every 20 s, then 10 s once', () => {
    const steps: number[] = [];
    for (let remainingMs = 120_000; remainingMs >= -2_000; remainingMs -= 250) {
      const step = spokenRemainingMs(remainingMs);
      if (steps.at(-1) !== step) steps.push(step);
    }
    expect(steps).toEqual([120_000, 60_000, 40_000, 20_000, 10_000]);
  });
});

describe('openingSpokenMs', () => {
  test.each([
    [90_000, 60_000], // 1:30 left: "1 minute", never "2 minutes"
    [119_000, 60_000],
    [119_990, 120_000], // shown as 2:00
    [125_000, 120_000],
    [600_000, 600_000],
    [60_000, 60_000],
    [34_200, 35_000],
    [400, 1_000],
    [0, 1_000],
  ])('%i ms left on opening → speak %i ms', (remainingMs, spokenMs) => {
    expect(openingSpokenMs(remainingMs)).toBe(spokenMs);
  });
});

describe('createWarningDialog', () => {
  test('adds nothing to the page until shown', () => {
    const dialog = createWarningDialog({ document, onStay() {}, onSignOut() {} });
    dialogs.push(dialog);
    expect(document.body.innerHTML).toBe(pageHtml);
    expect(document.head.innerHTML).toBe('');
    dialog.hide(); // hiding a dialog never shown is harmless
    expect(document.body.innerHTML).toBe(pageHtml);
  });

  test('is a native modal <dialog> (top layer, page behind inert), an alertdialog labelled by its heading and described by its message', () => {
    const showModal = vi.spyOn(HTMLDialogElement.prototype, 'showModal');
    const { modal, heading, message, notice } = open();
    expect(modal.tagName).toBe('DIALOG');
    expect(showModal.mock.contexts).toEqual([modal]);
    expect(modal.open).toBe(true);
    // Escape is the SDK's ("stay"), never the browser's close request.
    expect(modal.getAttribute('closedby')).toBe('none');
    expect(heading.tagName).toBe('H2');
    expect(heading.textContent).toBe("You're about to be signed out");
    expect(message.textContent).toBe('For your security, we will sign you out in 2 minutes.');
    expect(notice.textContent).toBe('');
    expect(modal.getAttribute('lang')).toBe('en');
    showModal.mockRestore();
  });

  test('buttons are named "Stay signed in" and "Sign out", and focus moves to the first', () => {
    const { host, stay, signOut, root } = open();
    expect(stay.textContent).toBe('Stay signed in');
    expect(signOut.textContent).toBe('Sign out');
    expect(stay.type).toBe('button');
    expect(signOut.type).toBe('button');
    expect(document.activeElement).toBe(host);
    expect(root.activeElement).toBe(stay);
  });

  test('Tab and Shift+Tab wrap between the two buttons', () => {
    const { stay, signOut } = open();
    const tab = press('Tab');
    expect(tab.defaultPrevented).toBe(true);
    expect(focused()).toBe(signOut);
    press('Tab');
    expect(focused()).toBe(stay);
    press('Tab', true);
    expect(focused()).toBe(signOut);
    press('Tab', true);
    expect(focused()).toBe(stay);
  });

  test('Tab brings focus back in after a click moved it to <body>', () => {
    const { stay, signOut } = open();
    stay.blur();
    expect(focused()).toBe(document.body);
    press('Tab');
    expect(focused()).toBe(stay);
    stay.blur();
    press('Tab', true);
    expect(focused()).toBe(signOut);
  });

  test('Escape means stay signed in, wherever focus is', () => {
    const { onStay, onSignOut, stay, signOut } = open();
    signOut.focus();
    expect(press('Escape').defaultPrevented).toBe(true);
    expect(onStay).toHaveBeenCalledTimes(1);
    stay.blur();
    press('Escape');
    expect(onStay).toHaveBeenCalledTimes(2);
    expect(onSignOut).not.toHaveBeenCalled();
  });

  test('other keys are left alone', () => {
    const { onStay } = open();
    expect(press('Enter').defaultPrevented).toBe(false);
    expect(onStay).not.toHaveBeenCalled();
  });

  test('the buttons call onStay and onSignOut, and the caller decides when to hide', () => {
    const { dialog, onStay, onSignOut, stay, signOut } = open();
    stay.click();
    expect(onStay).toHaveBeenCalledTimes(1);
    expect(onSignOut).not.toHaveBeenCalled();
    signOut.click();
    expect(onSignOut).toHaveBeenCalledTimes(1);
    expect(parts().modal.open).toBe(true);
    dialog.hide();
  });

  // Focus returning to where it was on close (the page, a web component, the app's own modal) is
  // the browser's (HTML's "previously focused element"): e2e/dialog-top-layer.test.ts checks it.

  test('closed, the page is exactly as before', () => {
    const { dialog, modal } = open();
    dialog.hide();
    expect(modal.open).toBe(false);
    expect(document.body.innerHTML).toBe(pageHtml);
  });

  test('re-enters the top layer when the app opens a modal or a popover above it, and only then', () => {
    const { modal, stay, signOut, host } = open();
    const showModal = vi.spyOn(modal, 'showModal');
    const close = vi.spyOn(modal, 'close');
    signOut.focus();
    const opened = (target: Element, newState: string) => target.dispatchEvent(Object.assign(new Event('toggle'), { newState }));
    opened(document.getElementById('foot')!, 'closed');
    opened(host, 'open');
    expect(showModal).not.toHaveBeenCalled();
    opened(document.getElementById('foot')!, 'open'); // a popover: `toggle` does not bubble, seen in capture
    expect(close).toHaveBeenCalledTimes(1);
    expect(showModal).toHaveBeenCalledTimes(1);
    expect(modal.open).toBe(true);
    expect(focused()).toBe(stay);
    document.getElementById('edit')!.focus(); // the app's modal takes focus as it opens
    expect(showModal).toHaveBeenCalledTimes(2);
    expect(focused()).toBe(stay);
  });

  test('hide removes the dialog and its key handling; show again reopens it', () => {
    const { dialog, onStay } = open();
    dialog.hide();
    expect(document.querySelector('[data-idle-logout-dialog]')).toBeNull();
    press('Escape');
    expect(onStay).not.toHaveBeenCalled();
    dialog.show(30_000);
    const { countdown, message, root, stay, modal } = parts();
    expect(countdown.textContent).toBe('0:30');
    expect(message.textContent).toContain('30 seconds');
    expect(root.activeElement).toBe(stay);
    expect(modal.open).toBe(true);
  });

  test('show while open only updates: one dialog, focus kept', () => {
    const { dialog, signOut } = open();
    signOut.focus();
    dialog.show(90_000);
    expect(document.querySelectorAll('[data-idle-logout-dialog]')).toHaveLength(1);
    expect(focused()).toBe(signOut);
    expect(parts().countdown.textContent).toBe('1:30');
    dialog.hide();
    expect(document.body.innerHTML).toBe(pageHtml);
  });

  test('hide leaves nothing behind: no element, no key or focus handling', () => {
    const { dialog, onStay, modal } = open();
    const showModal = vi.spyOn(modal, 'showModal');
    dialog.hide();
    expect(document.body.innerHTML).toBe(pageHtml);
    expect(document.head.innerHTML).toBe('');
    press('Escape');
    press('Tab');
    document.getElementById('edit')!.focus();
    document.getElementById('foot')!.dispatchEvent(Object.assign(new Event('toggle'), { newState: 'open' }));
    expect(onStay).not.toHaveBeenCalled();
    expect(showModal).not.toHaveBeenCalled();
  });

  test('the visible m:ss countdown is aria-hidden and follows show()', () => {
    const { dialog, countdown } = open({}, 120_000);
    expect(countdown.getAttribute('aria-hidden')).toBe('true');
    expect(countdown.textContent).toBe('2:00');
    dialog.show(119_000);
    expect(countdown.textContent).toBe('1:59');
    dialog.show(5_000);
    expect(countdown.textContent).toBe('0:05');
  });

  test('the polite live region changes only at coarse steps and never repeats itself', async () => {
    const { dialog, message } = open({}, 120_000);
    expect(message.getAttribute('role')).toBe('status'); // implicitly aria-live=polite, aria-atomic=true
    const writes: string[] = [];
    const observer = new MutationObserver(() => writes.push(message.textContent!));
    observer.observe(message, { childList: true, characterData: true, subtree: true });
    for (let remainingMs = 119_000; remainingMs >= 0; remainingMs -= 1000) {
      dialog.show(remainingMs);
      await Promise.resolve(); // let the observer report each write separately
    }
    observer.disconnect();
    expect(writes.map((text) => text.replace('For your security, we will sign you out in ', ''))).toEqual([
      '1 minute.',
      '40 seconds.',
      '20 seconds.',
      '10 seconds.',
    ]);
  });

  test('on opening it says the time as it is, never more, then only coarser steps below it', async () => {
    for (const [openAt, expected] of [
      [35_000, ['35 seconds.', '20 seconds.', '10 seconds.']],
      [3_000, ['3 seconds.']],
      [95_000, ['1 minute.', '40 seconds.', '20 seconds.', '10 seconds.']],
      [120_000, ['2 minutes.', '1 minute.', '40 seconds.', '20 seconds.', '10 seconds.']],
    ] as const) {
      const { dialog, message } = open({}, openAt);
      const said = [message.textContent!];
      for (let remainingMs = openAt - 1000; remainingMs >= 0; remainingMs -= 1000) {
        dialog.show(remainingMs);
        if (said.at(-1) !== message.textContent) said.push(message.textContent!);
      }
      expect(said.map((text) => text.replace('For your security, we will sign you out in ', ''))).toEqual(expected);
      dialog.hide();
    }
  });

  test('unreachable: says so once in a second live region, keeps "Stay signed in", and clears when reachable', async () => {
    const { dialog, notice, stay } = open();
    expect(notice.getAttribute('role')).toBe('status');
    const writes: string[] = [];
    new MutationObserver(() => writes.push(notice.textContent!)).observe(notice, { childList: true, characterData: true, subtree: true });
    for (let remainingMs = 119_000; remainingMs > 110_000; remainingMs -= 1000) {
      dialog.show(remainingMs, 'unreachable');
      await Promise.resolve();
    }
    expect(writes).toEqual(["Can't reach the server. Retrying…"]);
    expect(stay.hidden).toBe(false);
    dialog.show(110_000);
    await Promise.resolve();
    expect(writes).toEqual(["Can't reach the server. Retrying…", '']);
  });

  test('at the absolute lifetime: no "Stay signed in", the reason said, focus and Tab on "Sign out"', () => {
    const { dialog, notice, stay, signOut, onStay } = open({}, 60_000);
    expect(focused()).toBe(stay);
    dialog.show(59_000, 'final');
    expect(stay.hidden).toBe(true);
    expect(signOut.hidden).toBe(false);
    expect(notice.textContent).toBe('Your session has reached its time limit.');
    expect(focused()).toBe(signOut);
    press('Tab');
    expect(focused()).toBe(signOut);
    press('Tab', true);
    expect(focused()).toBe(signOut);
    stay.blur();
    press('Tab');
    expect(focused()).toBe(signOut);
    expect(onStay).not.toHaveBeenCalled();
  });

  test('opened at the absolute lifetime, focus starts on "Sign out"', () => {
    const { stay, signOut } = open({}, 60_000, 'final');
    expect(stay.hidden).toBe(true);
    expect(focused()).toBe(signOut);
  });

  test('signOutButton: false hides "Sign out": focus and Tab stay on "Stay signed in", Escape still stays', () => {
    const { stay, signOut, onStay, onSignOut } = open({ signOutButton: false });
    expect([stay.hidden, signOut.hidden]).toEqual([false, true]);
    expect(focused()).toBe(stay);
    press('Tab');
    expect(focused()).toBe(stay);
    press('Tab', true);
    expect(focused()).toBe(stay);
    expect(press('Escape').defaultPrevented).toBe(true);
    expect(onStay).toHaveBeenCalledTimes(1);
    expect(onSignOut).not.toHaveBeenCalled();
  });

  test('signOutButton: false at the absolute lifetime: no buttons, the dialog says why and when, and holds focus', () => {
    const { dialog, modal, root, notice, message, stay, signOut } = open({ signOutButton: false }, 60_000);
    dialog.show(59_000, 'final');
    expect([stay.hidden, signOut.hidden]).toEqual([true, true]);
    expect(notice.textContent).toBe('Your session has reached its time limit.');
    expect(message.textContent).toBe('For your security, we will sign you out in 1 minute.');
    // Focus was on the now hidden "Stay": it moves to the dialog, whose name and description are read.
    expect(root.activeElement).toBe(modal);
    press('Tab');
    expect(root.activeElement).toBe(modal);
  });

  test('signed out while offline: says so in the heading, no countdown, no time, no buttons; focus stays in', () => {
    const { dialog, heading, countdown, message, stay, signOut, modal, root } = open({}, 3_000);
    dialog.show(0, 'signed-out');
    expect(heading.textContent).toBe("You've been signed out. We'll go on once you're back online.");
    expect(countdown.textContent).toBe('');
    expect(message.textContent).toBe('');
    expect([stay.hidden, signOut.hidden]).toEqual([true, true]);
    expect(root.activeElement).toBe(modal);
    press('Tab');
    expect(root.activeElement).toBe(modal);
  });

  test('every string can be replaced', () => {
    const { heading, message, stay, signOut } = open({
      strings: {
        heading: 'Still there?',
        message: 'Session ends in {time}',
        staySignedIn: 'Keep working',
        signOut: 'Log out',
        minute: { one: 'a minute', other: '{n} mins' },
      },
    });
    expect(heading.textContent).toBe('Still there?');
    expect(message.textContent).toBe('Session ends in 2 mins');
    expect(stay.textContent).toBe('Keep working');
    expect(signOut.textContent).toBe('Log out');
  });

  test('Welsh: strings, plural units and the lang attribute', () => {
    const { dialog, modal, heading, message, stay, signOut } = open({ locale: 'cy' }, 120_000);
    expect(modal.getAttribute('lang')).toBe('cy');
    expect(heading.textContent).toBe('Rydych ar fin cael eich allgofnodi');
    expect(stay.textContent).toBe('Parhau i fod wedi’ch mewngofnodi');
    expect(signOut.textContent).toBe('Allgofnodi');
    expect(message.textContent).toBe('Er eich diogelwch, byddwn yn eich allgofnodi cyn pen 2 funud.');
    dialog.show(119_000, 'unreachable');
    expect(parts().notice.textContent).toBe('Methu cysylltu â’r gweinydd. Yn trio eto…');
    dialog.hide();
    dialog.show(180_000);
    expect(message.textContent).toContain('cyn pen 3 munud.');
    dialog.show(60_000);
    expect(message.textContent).toContain('cyn pen 1 funud.');
  });

  test('a language without built-in strings is shown, and marked, as English', () => {
    const { dialog, modal, signOut } = open({ locale: 'fr' });
    expect(modal.getAttribute('lang')).toBe('en');
    expect(signOut.textContent).toBe('Sign out');
    dialog.hide();
    const french = open({ locale: 'fr', strings: { signOut: 'Se déconnecter' } });
    expect(french.modal.getAttribute('lang')).toBe('fr');
    expect(french.signOut.textContent).toBe('Se déconnecter');
  });

  test('styles live in the shadow root and use the documented custom properties', () => {
    const { root } = open();
    expect(document.querySelectorAll('style, link')).toHaveLength(0);
    const css = root.adoptedStyleSheets.flatMap((sheet) => Array.from(sheet.cssRules, (rule) => rule.cssText)).join('');
    for (const name of ['accent', 'accent-fg', 'bg', 'fg', 'focus', 'backdrop', 'radius', 'font']) {
      expect(css).toContain(`--idle-logout-${name}`);
    }
  });
});
