// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorkKeeper } from './keep-work.ts';
import { IdleLogoutOptionsError } from './options.ts';
import { keepingWork, optionsFromScript } from './script-options.ts';
import { settle } from './testing/clock.ts';

function script(attributes: Record<string, string>): HTMLScriptElement {
  const element = document.createElement('script');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

describe('optionsFromScript', () => {
  it('reads every documented data attribute', () => {
    expect(
      optionsFromScript(
        script({
          'data-endpoint': '/api/session',
          'data-signed-out-url': '/signed-out',
          'data-channel-name': 'my-app',
          'data-locale': 'cy',
          'data-countdown-in-title': 'false',
          'data-activity-events': 'keydown, pointerdown  wheel',
          'data-activity-dismisses-warning': '',
          'data-activity-origins': 'https://editor.example,https://b.example',
          'data-revocation-check-ms': '15000',
        }),
      ),
    ).toEqual({
      endpoint: '/api/session',
      signedOutUrl: '/signed-out',
      channelName: 'my-app',
      dialog: { locale: 'cy' },
      countdownInTitle: false,
      activityEvents: ['keydown', 'pointerdown', 'wheel'],
      activityDismissesWarning: true,
      activityOrigins: ['https://editor.example', 'https://b.example'],
      revocationCheckMs: 15_000,
    });
  });

  it('data-text-<key> sets any dialog string, named after its key; data-text-<unit>-<plural category> a unit', () => {
    expect(
      optionsFromScript(
        script({
          'data-locale': 'fr',
          'data-text-heading': 'Vous allez être déconnecté',
          'data-text-stay-signed-in': 'Rester connecté',
          'data-text-signed-out-offline': 'Déconnecté.',
          'data-text-minute-one': '{n} minute',
          'data-text-minute-other': '{n} minutes',
          'data-sign-out-button': 'false',
        }),
      ),
    ).toEqual({
      dialog: {
        locale: 'fr',
        strings: {
          heading: 'Vous allez être déconnecté',
          staySignedIn: 'Rester connecté',
          signedOutOffline: 'Déconnecté.',
          minute: { one: '{n} minute', other: '{n} minutes' },
        },
        signOutButton: false,
      },
    });
  });

  it('refuses a data-text-* that names no string, and a unit without its "other" form, saying what to change', () => {
    const advice = /Keys: heading,message,staySignedIn,.*,second \(kebab case; units per plural category, -other at least\)/;
    for (const typo of ['data-text-stay-button', 'data-text-minute', 'data-text-heading-one', 'data-text-second-one']) {
      const error = (() => {
        try {
          optionsFromScript(script({ [typo]: 'x', 'data-text-minute-other': '{n} min' }));
        } catch (thrown) {
          return thrown as Error;
        }
      })();
      expect(error?.message).toMatch(`idle-logout: ${typo} names no dialog string.`);
      expect(error?.message).toMatch(advice);
    }
  });

  it('data-timeout-url and data-credentials', () => {
    expect(optionsFromScript(script({ 'data-timeout-url': '/timed-out', 'data-credentials': 'include' }))).toMatchObject({
      timeoutUrl: '/timed-out',
      credentials: 'include',
    });
    expect(optionsFromScript(script({ 'data-credentials': 'same-origin' })).credentials).toBe('same-origin');
    expect(() => optionsFromScript(script({ 'data-credentials': 'omit' }))).toThrow('idle-logout: data-credentials="omit": use "same-origin" or "include".');
  });

  it('every data attribute check throws IdleLogoutOptionsError (as the options do), naming the attribute', () => {
    for (const [attributes, name] of [
      [{ 'data-credentials': 'omit' }, 'data-credentials="omit"'],
      [{ 'data-revocation-check-ms': 'soon' }, 'data-revocation-check-ms="soon"'],
      [{ 'data-text-stay-button': 'x' }, 'data-text-stay-button'],
    ] as const) {
      expect(() => optionsFromScript(script(attributes))).toThrow(IdleLogoutOptionsError);
      expect(() => optionsFromScript(script(attributes))).toThrow(name);
    }
  });

  it('data-dialog="false" turns the dialog off; nothing set means the defaults', () => {
    expect(optionsFromScript(script({ 'data-dialog': 'false', 'data-locale': 'cy' }))).toEqual({ dialog: false });
    expect(optionsFromScript(script({}))).toEqual({ dialog: {} }); // (undefined members: the defaults)
  });
});

describe('the script-tag entry', () => {
  afterEach(() => {
    vi.resetModules();
    vi.restoreAllMocks();
    Reflect.deleteProperty(document, 'currentScript');
  });

  async function load(attributes: Record<string, string>) {
    vi.resetModules(); // the module starts when first evaluated: evaluate it afresh
    const calls: string[] = [];
    vi.spyOn(window, 'fetch').mockImplementation(async (input: RequestInfo | URL) => {
      calls.push(String(input));
      const body = { state: 'active', remainingMs: 300_000, idleTimeoutMs: 300_000, warningMs: 60_000, absoluteRemainingMs: 4e7 };
      return new Response(JSON.stringify(body), { status: 200 }) as never;
    });
    Object.defineProperty(document, 'currentScript', { value: script(attributes), configurable: true });
    const module = await import('./script-tag.ts');
    await settle();
    return { module, calls };
  }

  it('starts from its own data attributes with no other code, and exposes the handle and the API', async () => {
    const { module, calls } = await load({ 'data-endpoint': '/api/session', 'data-signed-out-url': '/bye' });
    await vi.waitFor(() => expect(module.handle?.getPhase()).toBe('active'));
    expect(calls).toEqual(['/api/session']);
    expect(typeof module.startIdleLogout).toBe('function');
    module.handle?.stop();
  });

  it('data-autostart="false" only exposes the API', async () => {
    const { module, calls } = await load({ 'data-autostart': 'false' });
    expect(module.handle).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('data-keep-work puts kept work back once the session is live', async () => {
    document.body.innerHTML = '<textarea data-idle-logout-keep="draft"></textarea>';
    const field = document.querySelector('textarea')!;
    field.value = 'half a letter';
    await createWorkKeeper({ document, userKey: 'ann' }).save();
    field.value = '';
    const { module } = await load({ 'data-keep-work': '', 'data-keep-work-user': 'ann' });
    await vi.waitFor(() => expect(field.value).toBe('half a letter'));
    module.handle?.stop();
    document.body.innerHTML = '';
  });
});

describe('keepingWork', () => {
  it("saves the fields before the app's own hook and reports how many on the signed-out URL", async () => {
    const order: string[] = [];
    const keeper = { save: vi.fn(async () => (order.push('save'), 2)), restore: vi.fn(), clear: vi.fn() };
    const navigate = vi.fn();
    const options = keepingWork({ beforeSignOut: () => void order.push('app hook') }, keeper, navigate);
    await options.beforeSignOut!('idle');
    options.navigate!('https://app.example/signed-out?reason=idle');
    expect(order).toEqual(['save', 'app hook']);
    expect(navigate).toHaveBeenCalledWith('https://app.example/signed-out?reason=idle&kept=2');
  });

  it('adds nothing to the URL when there was nothing to keep', async () => {
    const keeper = { save: vi.fn(async () => 0), restore: vi.fn(), clear: vi.fn() };
    const navigate = vi.fn();
    const options = keepingWork({}, keeper, navigate);
    await options.beforeSignOut!('user');
    options.navigate!('https://app.example/signed-out?reason=user');
    expect(navigate).toHaveBeenCalledWith('https://app.example/signed-out?reason=user');
  });
});
