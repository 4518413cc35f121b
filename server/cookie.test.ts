import { describe, expect, it } from 'vitest';
import { cookieValues } from './cookie.ts';

describe('cookieValues', () => {
  it('finds the named cookie wherever it stands', () => {
    expect(cookieValues('idle_session=abc', 'idle_session')).toEqual(['abc']);
    expect(cookieValues('a=1; idle_session=abc; b=2', 'idle_session')).toEqual(['abc']);
    expect(cookieValues('a=1;idle_session=abc', 'idle_session')).toEqual(['abc']);
    expect(cookieValues('a=1;   idle_session=abc  ', 'idle_session')).toEqual(['abc']);
  });

  it('keeps every cookie with the name, in the order sent (a planted one may come first)', () => {
    expect(cookieValues('idle_session=first; theme=dark; idle_session=second', 'idle_session')).toEqual(['first', 'second']);
  });

  it('does not match a longer name, a prefix of the name, or a value', () => {
    expect(cookieValues('xidle_session=1; idle_session_old=2; a=idle_session=3', 'idle_session')).toEqual([]);
    expect(cookieValues('__Host-idle_session=1', 'idle_session')).toEqual([]);
    expect(cookieValues('__Host-idle_session=1', '__Host-idle_session')).toEqual(['1']);
  });

  it('skips empty values and answers [] without a header', () => {
    expect(cookieValues(undefined, 'idle_session')).toEqual([]);
    expect(cookieValues('', 'idle_session')).toEqual([]);
    expect(cookieValues('idle_session=; idle_session=x', 'idle_session')).toEqual(['x']);
  });
});
