/**
 * Every word the default warning dialog (and the tab title during a warning) shows, in English and
 * Welsh, with plural units chosen by `Intl.PluralRules` for the locale.
 *
 * Templates use `{name}` placeholders. Unit templates use `{n}` for the number.
 */

/** One template per plural category the locale uses; `other` is the fallback for any missing one. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

export interface DialogStrings {
  /** Dialog heading, and its accessible name. */
  heading: string;
  /** Dialog message and live-region text. `{time}` is the coarse remaining time, e.g. "2 minutes". */
  message: string;
  /** Primary button. */
  staySignedIn: string;
  /** Secondary button. */
  signOut: string;
  /** Notice while the server cannot be reached (offline, 503); the SDK keeps retrying. */
  unreachable: string;
  /** Notice at the session's absolute lifetime, which no "Stay signed in" can pass (the button is hidden). */
  timeLimit: string;
  /** Heading once signed out while offline: the page moves on when back online. */
  signedOutOffline: string;
  /** Tab title while warning. `{countdown}` is "m:ss", `{heading}` the heading above. */
  titleCountdown: string;
  /** WCAG 2.2.6 notice. `{time}` is the idle timeout, e.g. "15 minutes". */
  inactivityNotice: string;
  hour: PluralForms;
  minute: PluralForms;
  second: PluralForms;
}

export const en: DialogStrings = {
  heading: "You're about to be signed out",
  message: 'For your security, we will sign you out in {time}.',
  staySignedIn: 'Stay signed in',
  signOut: 'Sign out',
  unreachable: "Can't reach the server. Retrying…",
  timeLimit: 'Your session has reached its time limit.',
  signedOutOffline: "You've been signed out. We'll go on once you're back online.",
  titleCountdown: '{countdown} — {heading}',
  inactivityNotice: "You'll be signed out after {time} of inactivity.",
  hour: { one: '{n} hour', other: '{n} hours' },
  minute: { one: '{n} minute', other: '{n} minutes' },
  second: { one: '{n} second', other: '{n} seconds' },
};

// Heading, message and buttons are HMRC's Welsh (hmrc-frontend's timeout dialog). Welsh nouns stay
// singular after a number; "munud" takes the soft mutation after "un" (in the South, where it is
// feminine) and "dau/dwy" — "un funud", "dwy funud", "tri munud", "deg munud". "Eiliad" and "awr"
// begin with a vowel, so never change. The inactivity notice and the notices are ours: have a Welsh
// speaker check them.
export const cy: DialogStrings = {
  heading: 'Rydych ar fin cael eich allgofnodi',
  message: 'Er eich diogelwch, byddwn yn eich allgofnodi cyn pen {time}.',
  staySignedIn: 'Parhau i fod wedi’ch mewngofnodi',
  signOut: 'Allgofnodi',
  unreachable: 'Methu cysylltu â’r gweinydd. Yn trio eto…',
  timeLimit: 'Mae eich sesiwn wedi cyrraedd ei therfyn amser.',
  signedOutOffline: 'Rydych wedi cael eich allgofnodi. Byddwn yn parhau pan fyddwch ar-lein eto.',
  titleCountdown: '{countdown} — {heading}',
  inactivityNotice: 'Byddwn yn eich allgofnodi os na fyddwch yn gwneud unrhyw beth am {time}.',
  hour: { other: '{n} awr' },
  minute: { one: '{n} funud', two: '{n} funud', other: '{n} munud' },
  second: { other: '{n} eiliad' },
};

const builtIn: Record<string, DialogStrings> = { en, cy };

/**
 * The strings for a locale: the built-in language matching its first subtag ("cy-GB" → Welsh,
 * anything unknown → English), with `overrides` on top.
 *
 * @example
 * resolveStrings('cy').signOut // "Allgofnodi"
 * resolveStrings('en', { signOut: 'Log out' }).signOut // "Log out"
 */
export function resolveStrings(locale = 'en', overrides?: Partial<DialogStrings>): DialogStrings {
  return { ...(builtInFor(locale) ?? en), ...overrides };
}

const builtInFor = (locale: string): DialogStrings | undefined => builtIn[locale.split('-')[0]!.toLowerCase()];

/**
 * The language the text is really in, for `lang` and plural rules: `locale` when it has built-in
 * strings or the app gave its own, else "en" — a French page without French strings shows English,
 * which must not be read with a French voice or French plurals ("0 minute").
 *
 * @example
 * textLocale('fr') // "en"
 * textLocale('fr', { signOut: 'Se déconnecter' }) // "fr"
 */
export function textLocale(locale = 'en', overrides?: Partial<DialogStrings>): string {
  return overrides || builtInFor(locale) ? locale : 'en';
}

/** Replaces each `{name}` in `template` with `values[name]`; unknown names are left as they are. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in values ? String(values[name]) : match,
  );
}

/**
 * "m:ss" for a remaining time, rounded up to the whole second so it reads 0:00 only when time is
 * up (and agrees with the spoken steps). Minutes are not capped at 59.
 *
 * @example
 * formatCountdown(65_000) // "1:05"
 * formatCountdown(400) // "0:01"
 */
export function formatCountdown(remainingMs: number): string {
  const seconds = Math.max(0, Math.ceil(remainingMs / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * A duration in words, in the largest unit that divides it exactly (so it is never rounded):
 * 2 h → "2 hours", 90 min → "90 minutes", 90 s → "90 seconds". Plural forms come from
 * `Intl.PluralRules` for `locale` (Welsh has zero, one, two, few, many and other).
 *
 * @example
 * formatDuration(120_000) // "2 minutes"
 * formatDuration(120_000, 'cy') // "2 funud"
 */
export function formatDuration(
  durationMs: number,
  locale = 'en',
  overrides?: Partial<DialogStrings>,
): string {
  const strings = resolveStrings(locale, overrides);
  const seconds = Math.max(0, Math.round(durationMs / 1000));
  const [n, forms] =
    seconds && seconds % 3600 === 0
      ? [seconds / 3600, strings.hour]
      : seconds && seconds % 60 === 0
        ? [seconds / 60, strings.minute]
        : [seconds, strings.second];
  return fill(forms[new Intl.PluralRules(textLocale(locale, overrides)).select(n)] ?? forms.other, { n });
}

/**
 * The tab title during the warning, so a background tab shows the countdown too.
 *
 * @example
 * countdownTitle(65_000) // "1:05 — You're about to be signed out"
 */
export function countdownTitle(
  remainingMs: number,
  locale = 'en',
  overrides?: Partial<DialogStrings>,
): string {
  const strings = resolveStrings(locale, overrides);
  return fill(strings.titleCountdown, {
    countdown: formatCountdown(remainingMs),
    heading: strings.heading,
  });
}

/**
 * The sentence that tells people how long they may be inactive (WCAG 2.2 SC 2.2.6). Show it where
 * they start a task or sign in.
 *
 * @example
 * inactivityNotice(15 * 60_000) // "You'll be signed out after 15 minutes of inactivity."
 */
export function inactivityNotice(
  idleTimeoutMs: number,
  locale = 'en',
  overrides?: Partial<DialogStrings>,
): string {
  return fill(resolveStrings(locale, overrides).inactivityNotice, {
    time: formatDuration(idleTimeoutMs, locale, overrides),
  });
}
