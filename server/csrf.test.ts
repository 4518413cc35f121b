import { describe, expect, it } from 'vitest';
import { createOriginCheck, isHttps, publicOrigin } from './csrf.ts';

const request = (url: string, headers: Record<string, string> = {}) => new Request(url, { headers });

describe('the scheme behind a proxy', () => {
  it('is the request URL’s unless the app names a header to trust', () => {
    const forwarded = request('http://app.example/x', { 'X-Forwarded-Proto': 'https' });
    expect(isHttps(forwarded, undefined)).toBe(false);
    expect(isHttps(forwarded, 'x-forwarded-proto')).toBe(true);
    expect(isHttps(request('https://app.example/'), undefined)).toBe(true);
  });

  it('takes the first of a list (the browser-facing proxy’s), and ignores values that are not a scheme', () => {
    expect(isHttps(request('http://app.example/', { 'X-Forwarded-Proto': 'https, http' }), 'x-forwarded-proto')).toBe(true);
    expect(isHttps(request('http://app.example/', { 'X-Forwarded-Proto': 'HTTPS' }), 'x-forwarded-proto')).toBe(true);
    expect(isHttps(request('https://app.example/', { 'X-Forwarded-Proto': 'gopher' }), 'x-forwarded-proto')).toBe(true);
    expect(isHttps(request('https://app.example/', { 'X-Forwarded-Proto': 'http' }), 'x-forwarded-proto')).toBe(false);
  });

  it('gives the origin the browser sees, dropping the new scheme’s default port', () => {
    expect(publicOrigin(request('http://app.example:443/x', { 'X-Forwarded-Proto': 'https' }), 'x-forwarded-proto')).toBe('https://app.example');
    expect(publicOrigin(request('http://app.example:8080/x', { 'X-Forwarded-Proto': 'https' }), 'x-forwarded-proto')).toBe('https://app.example:8080');
    expect(publicOrigin(request('http://app.example/x'), undefined)).toBe('http://app.example');
  });
});

describe('madeOnThisSite', () => {
  const origins = createOriginCheck(undefined, undefined);
  it.each([
    [{ 'Sec-Fetch-Site': 'same-origin' }, true],
    [{ 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate' }, true],
    [{ 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'cors' }, false],
    [{ 'Sec-Fetch-Site': 'same-site' }, false],
    [{ 'Sec-Fetch-Site': 'cross-site', Origin: 'http://app.example' }, false],
    [{ Origin: 'http://app.example' }, true],
    [{ Origin: 'http://app.example.evil' }, false],
    [{ Referer: 'http://app.example/page' }, true],
    [{ Referer: 'http://evil.example/http://app.example/' }, false],
    [{ Referer: 'not a url' }, false],
    [{}, false],
  ])('%o → %s', (headers, expected) => {
    expect(origins.madeOnThisSite(request('http://app.example/app', headers))).toBe(expected);
  });
});
