// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest';
import {
  countdownTitle,
  cy,
  en,
  fill,
  formatCountdown,
  formatDuration,
  inactivityNotice,
  resolveStrings,
  textLocale,
} from './strings.ts';

describe('formatCountdown', () => {
  test('m:ss with padded seconds', () => {
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(120_000)).toBe('2:00');
    expect(formatCountdown(9_000)).toBe('0:09');
    expect(formatCountdown(75 * 60_000)).toBe('75:00');
  });

  test('rounds up to the second, so 0:00 means time is up', () => {
    expect(formatCountdown(400)).toBe('0:01');
    expect(formatCountdown(59_001)).toBe('1:00');
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-5_000)).toBe('0:00');
  });
});

describe('formatDuration', () => {
  test('English singular and plural units', () => {
    expect(formatDuration(60_000)).toBe('1 minute');
    expect(formatDuration(120_000)).toBe('2 minutes');
    expect(formatDuration(1_000)).toBe('1 second');
    expect(formatDuration(40_000)).toBe('40 seconds');
    expect(formatDuration(3_600_000)).toBe('1 hour');
    expect(formatDuration(2 * 3_600_000)).toBe('2 hours');
  });

  test('uses the largest unit that divides exactly, never rounding', () => {
    expect(formatDuration(90_000)).toBe('90 seconds');
    expect(formatDuration(90 * 60_000)).toBe('90 minutes');
    expect(formatDuration(0)).toBe('0 seconds');
  });

  test('Welsh mutates "munud" after one and two only', () => {
    expect(formatDuration(60_000, 'cy')).toBe('1 funud');
    expect(formatDuration(120_000, 'cy')).toBe('2 funud');
    expect(formatDuration(180_000, 'cy')).toBe('3 munud');
    expect(formatDuration(600_000, 'cy')).toBe('10 munud');
    expect(formatDuration(20_000, 'cy')).toBe('20 eiliad');
    expect(formatDuration(3_600_000, 'cy')).toBe('1 awr');
  });

  test('picks the form by Intl.PluralRules for the locale, all six Welsh categories', () => {
    const second = { zero: 'Z{n}', one: 'O{n}', two: 'T{n}', few: 'F{n}', many: 'M{n}', other: 'X{n}' };
    const spoken = [0, 1, 2, 3, 6, 7].map((n) => formatDuration(n * 1000, 'cy', { second }));
    expect(spoken).toEqual(['Z0', 'O1', 'T2', 'F3', 'M6', 'X7']);
    // The same forms under English rules only ever use one/other.
    expect([0, 1, 2, 3].map((n) => formatDuration(n * 1000, 'en', { second }))).toEqual([
      'X0',
      'O1',
      'X2',
      'X3',
    ]);
  });

  test('English text gets English plural rules, even on a page in another language', () => {
    // French counts 0 as singular; "0 second" would be wrong English.
    expect(formatDuration(0, 'fr')).toBe('0 seconds');
    expect(formatDuration(0, 'fr', { second: { one: '{n} seconde', other: '{n} secondes' } })).toBe('0 seconde');
  });

  test('falls back to `other` when a category has no template', () => {
    expect(formatDuration(2_000, 'cy', { second: { other: '{n} s' } })).toBe('2 s');
  });
});

describe('resolveStrings', () => {
  test('English by default and for unknown languages', () => {
    expect(resolveStrings()).toEqual(en);
    expect(resolveStrings('de-DE')).toEqual(en);
  });

  test('Welsh by language subtag, any case', () => {
    expect(resolveStrings('cy')).toEqual(cy);
    expect(resolveStrings('CY-gb').signOut).toBe('Allgofnodi');
  });

  test('Welsh has every string English has, and its own text for the notices', () => {
    expect(Object.keys(cy).sort()).toEqual(Object.keys(en).sort());
    for (const key of ['unreachable', 'timeLimit', 'signedOutOffline'] as const) expect(cy[key]).not.toBe(en[key]);
  });

  test('every string can be replaced', () => {
    const overrides = {
      heading: 'h',
      message: 'm {time}',
      staySignedIn: 's',
      signOut: 'o',
      unreachable: 'u',
      timeLimit: 'l',
      signedOutOffline: 'f',
      titleCountdown: 't',
      inactivityNotice: 'i',
      hour: { other: 'H' },
      minute: { other: 'M' },
      second: { other: 'S' },
    };
    expect(resolveStrings('cy', overrides)).toEqual(overrides);
    // Only what is given is replaced.
    expect(resolveStrings('en', { signOut: 'Log out' })).toEqual({ ...en, signOut: 'Log out' });
  });
});

describe('textLocale', () => {
  test('is the locale when its text is built in or supplied, else English', () => {
    expect(textLocale()).toBe('en');
    expect(textLocale('cy-GB')).toBe('cy-GB');
    expect(textLocale('fr')).toBe('en');
    expect(textLocale('fr', { signOut: 'Se déconnecter' })).toBe('fr');
  });
});

describe('templates', () => {
  test('fill replaces known placeholders and leaves others', () => {
    expect(fill('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  test('countdownTitle shows m:ss then the heading', () => {
    expect(countdownTitle(65_000)).toBe("1:05 — You're about to be signed out");
    expect(countdownTitle(5_000, 'cy')).toBe('0:05 — Rydych ar fin cael eich allgofnodi');
    expect(countdownTitle(5_000, 'en', { heading: 'Still there?' })).toBe('0:05 — Still there?');
  });

  test('inactivityNotice states the idle timeout (WCAG 2.2.6)', () => {
    expect(inactivityNotice(5 * 60_000)).toBe("You'll be signed out after 5 minutes of inactivity.");
    expect(inactivityNotice(60_000)).toBe("You'll be signed out after 1 minute of inactivity.");
    expect(inactivityNotice(2 * 60_000, 'cy')).toBe(
      'Byddwn yn eich allgofnodi os na fyddwch yn gwneud unrhyw beth am 2 funud.',
    );
    expect(inactivityNotice(30 * 60_000, 'en', { inactivityNotice: 'Idle limit: {time}' })).toBe(
      'Idle limit: 30 minutes',
    );
  });
});
