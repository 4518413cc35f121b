import { describe, expect, it } from 'vitest';
import { cookieValue } from './cookie.ts';

describe('cookieValue', () => {
  it('finds the named cookie wherever it stands', () => {
    expect(cookieValue('idle_session=abc', 'idle_session')).toBe('abc');
    expect(cookieValue('a=1; idle_session=abc; b=2', 'idle_session')).toBe('abc');
    expect(cookieValue('a=1;idle_session=abc', 'idle_session')).toBe('abc');
    expect(cookieValue('a=1;   idle_session=abc  ', 'idle_session')).toBe('abc');
  });

  it('takes the first of two cookies with the name, as browsers send the most specific first', () => {
    expect(cookieValue('idle_session=first; idle_session=second', 'idle_session')).toBe('first');
  });

  it('does not match a longer name, a prefix of the name, or a value', () => {
    expect(cookieValue('xidle_session=1; idle_session_old=2; a=idle_session=3', 'idle_session')).toBeUndefined();
    expect(cookieValue('__Host-idle_session=1', 'idle_session')).toBeUndefined();
    expect(cookieValue('__Host-idle_session=1', '__Host-idle_session')).toBe('1');
  });

  it('answers undefined without a header and an empty string for an empty value', () => {
    expect(cookieValue(undefined, 'idle_session')).toBeUndefined();
    expect(cookieValue('', 'idle_session')).toBeUndefined();
    expect(cookieValue('idle_session=', 'idle_session')).toBe('');
  });
});
