// What the script-tag entry (script-tag.ts) needs to start from its own <script> element: the
// options its data attributes say, and work keeping added to them. Its own module so that the
// entry imports it without exporting it: the global `IdleLogout` has only the documented names.
import type { WorkKeeper } from './keep-work.ts';
import type { IdleLogoutHost } from './host.ts';
import { check, type IdleLogoutOptions } from './options.ts';
import { en, type DialogStrings } from './strings.ts';

/**
 * Reads the options from a <script> element's data attributes (listed in script-tag.ts).
 *
 * @example
 * startIdleLogout(optionsFromScript(document.currentScript));
 */
export function optionsFromScript(script: HTMLOrSVGScriptElement): IdleLogoutOptions {
  const data = script.dataset;
  const options: Record<string, unknown> = {};
  for (const key of ['endpoint', 'signedOutUrl', 'timeoutUrl', 'credentials', 'channelName', 'activityEvents', 'activityOrigins'] as const) {
    const value = data[key];
    // The two activity lists are space or comma separated.
    if (value) options[key] = key.startsWith('activity') ? value.split(/[\s,]+/).filter(Boolean) : value;
  }
  for (const key of ['countdownInTitle', 'activityDismissesWarning'] as const) {
    if (data[key] !== undefined) options[key] = data[key] !== 'false'; // present (even empty) means true
  }
  const { revocationCheckMs, credentials } = data;
  if (revocationCheckMs) {
    options.revocationCheckMs = +revocationCheckMs;
    check(+revocationCheckMs >= 0, `data-revocation-check-ms="${revocationCheckMs}": use a number of ms ≥ 0 (0: never).`);
  }
  if (credentials) check(/^(same-origin|include)$/.test(credentials), `data-credentials="${credentials}": use "same-origin" or "include".`);
  // undefined for anything not set: the dialog's defaults.
  options.dialog = data.dialog !== 'false' && {
    locale: data.locale,
    strings: dialogStrings(data),
    signOutButton: data.signOutButton === 'false' ? false : undefined,
  };
  return options;
}

/**
 * The data-text-* attributes as dialog strings. Each is named after its `DialogStrings` key
 * (data-text-stay-signed-in → staySignedIn), a unit once per plural category (data-text-minute-one,
 * data-text-minute-other). The keys are read from the English strings, so a string added there can
 * be set here with no change.
 */
function dialogStrings(data: DOMStringMap): Partial<DialogStrings> | undefined {
  let strings: Record<string, string | Record<string, string>> | undefined;
  for (const name in data) {
    // dataset names are camelCase: data-text-minute-one → textMinuteOne.
    const [, first, rest, category] = /^text(\w)(\w*?)(Zero|One|Two|Few|Many|Other)?$/.exec(name) ?? [];
    if (!first) continue;
    const key = first.toLowerCase() + rest;
    // A string, or a unit's plural forms, which need "other": the form for any count the locale's
    // other categories leave out. Anything else is a typo.
    check(
      typeof en[key as keyof DialogStrings] === (category ? 'object' : 'string') && (!category || !!data[`text${first}${rest}Other`]),
      `data-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} names no dialog string. Keys: ${Object.keys(en)} (kebab case; units per plural category, -other at least).`,
    );
    strings ??= {};
    if (category) ((strings[key] ??= {}) as Record<string, string>)[category.toLowerCase()] = data[name]!;
    else strings[key] = data[name]!;
  }
  return strings as Partial<DialogStrings> | undefined;
}

/**
 * Adds work keeping to the options: every tab saves its marked fields before it signs out, tells
 * the signed-out page how many it kept (`&kept=N`, so that page can say the work is safe), and the
 * next page that starts with a live session puts them back.
 *
 * @example
 * startIdleLogout(keepingWork(options, createWorkKeeper({ document }), (url) => location.assign(url)));
 */
export function keepingWork(options: IdleLogoutOptions, keeper: WorkKeeper, navigate: (url: string) => void): IdleLogoutOptions & IdleLogoutHost {
  let kept = 0;
  const { beforeSignOut } = options;
  return {
    ...options,
    beforeSignOut: async (reason) => {
      kept = await keeper.save();
      await beforeSignOut?.(reason);
    },
    navigate: (url) => {
      const target = new URL(url);
      if (kept > 0) target.searchParams.set('kept', String(kept));
      navigate(target.href);
    },
  };
}
