import { describe, expect, it } from 'vitest';
import { createOriginCheck, csrfRefusal, isHttps, publicOrigin, type CsrfCheckpoint } from './csrf.ts';

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
    // Without allowedOrigins no sibling is trusted, whatever its Origin claims.
    [{ 'Sec-Fetch-Site': 'same-site', Origin: 'http://app.example' }, false],
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

  // The API at api.example with the app's pages at app.example (allowedOrigins): their requests
  // are the user's; another sibling's (user content, a forgotten host) or another site's are not.
  const sibling = createOriginCheck(['https://app.example'], undefined);
  it.each([
    [{ 'Sec-Fetch-Site': 'same-site', Origin: 'https://app.example' }, true],
    [{ 'Sec-Fetch-Site': 'same-site', Origin: 'https://user-content.example' }, false],
    [{ 'Sec-Fetch-Site': 'same-site', Referer: 'https://app.example/page' }, false],
    [{ 'Sec-Fetch-Site': 'same-site' }, false],
    [{ 'Sec-Fetch-Site': 'cross-site', Origin: 'https://app.example' }, false],
  ])('with allowedOrigins, %o → %s', (headers, expected) => {
    expect(sibling.madeOnThisSite(request('https://api.example/data', headers))).toBe(expected);
  });
});

describe('csrfRefusal: where each unsafe request is checked', () => {
  const origins = createOriginCheck(undefined, undefined);
  const crossSite = { 'Sec-Fetch-Site': 'cross-site' };
  const sameOrigin = { 'Sec-Fetch-Site': 'same-origin' };
  type Row = [CsrfCheckpoint, string, { csrf: boolean; session: boolean; headers: Record<string, string> }, 'refused' | 'passes'];
  it.each<Row>([
    // The protocol's POST routes and requireSameOrigin: every unsafe request, whatever the option.
    ['protocol-route', 'POST', { csrf: false, session: false, headers: crossSite }, 'refused'],
    ['protocol-route', 'POST', { csrf: true, session: true, headers: sameOrigin }, 'passes'],
    ['require-same-origin', 'POST', { csrf: false, session: false, headers: crossSite }, 'refused'],
    ['require-same-origin', 'GET', { csrf: true, session: true, headers: crossSite }, 'passes'],
    ['require-same-origin', 'DELETE', { csrf: true, session: false, headers: {} }, 'refused'],
    // The middleware: only unsafe requests that carry the session, and only with the option on.
    ['middleware', 'POST', { csrf: true, session: true, headers: crossSite }, 'refused'],
    ['middleware', 'PUT', { csrf: true, session: true, headers: {} }, 'refused'],
    ['middleware', 'POST', { csrf: true, session: false, headers: crossSite }, 'passes'],
    ['middleware', 'POST', { csrf: false, session: true, headers: crossSite }, 'passes'],
    ['middleware', 'GET', { csrf: true, session: true, headers: crossSite }, 'passes'],
    ['middleware', 'POST', { csrf: true, session: true, headers: sameOrigin }, 'passes'],
    // Sign-in: with the option on, whether or not a session came along (login CSRF).
    ['sign-in', 'POST', { csrf: true, session: false, headers: crossSite }, 'refused'],
    ['sign-in', 'POST', { csrf: false, session: false, headers: crossSite }, 'passes'],
    ['sign-in', 'POST', { csrf: true, session: false, headers: { Origin: 'http://app.example' } }, 'passes'],
    ['sign-in', 'HEAD', { csrf: true, session: false, headers: crossSite }, 'passes'],
  ])('%s, %s %o → %s', (checkpoint, method, { csrf, session, headers }, expected) => {
    const refusal = csrfRefusal({ csrf, origins }, new Request('http://app.example/x', { method, headers }), checkpoint, session);
    expect(refusal === undefined ? 'passes' : 'refused').toBe(expected);
  });

  // The API at https://api.example, its app's pages at https://app.example: one site, two origins.
  const sibling = createOriginCheck(['https://app.example'], undefined);
  const sameSite = (origin?: string) => ({ 'Sec-Fetch-Site': 'same-site', ...(origin ? { Origin: origin } : {}) });
  it.each<Row>([
    ['protocol-route', 'POST', { csrf: true, session: true, headers: sameSite('https://app.example') }, 'passes'],
    ['sign-in', 'POST', { csrf: true, session: false, headers: sameSite('https://app.example') }, 'passes'],
    ['middleware', 'DELETE', { csrf: true, session: true, headers: sameSite('https://app.example') }, 'passes'],
    // A sibling not in allowedOrigins (user content, a forgotten host) is another party.
    ['protocol-route', 'POST', { csrf: true, session: true, headers: sameSite('https://user-content.example') }, 'refused'],
    ['require-same-origin', 'POST', { csrf: true, session: false, headers: sameSite('https://user-content.example') }, 'refused'],
    ['protocol-route', 'POST', { csrf: true, session: true, headers: sameSite() }, 'refused'],
    // Another site stays refused even when its Origin is listed: the browser says it is not ours.
    ['protocol-route', 'POST', { csrf: true, session: true, headers: { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://app.example' } }, 'refused'],
    ['sign-in', 'POST', { csrf: true, session: false, headers: { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' } }, 'refused'],
  ])('with allowedOrigins, %s, %s %o → %s', (checkpoint, method, { csrf, session, headers }, expected) => {
    const refusal = csrfRefusal({ csrf, origins: sibling }, new Request('https://api.example/x', { method, headers }), checkpoint, session);
    expect(refusal === undefined ? 'passes' : 'refused').toBe(expected);
  });

  it('says which origin to add to allowedOrigins when a sibling is refused', () => {
    const refusal = csrfRefusal({ csrf: true, origins: sibling }, new Request('https://api.example/x', { method: 'POST', headers: sameSite('https://admin.example') }), 'protocol-route');
    expect(refusal).toMatch(/https:\/\/admin\.example.*allowedOrigins/);
  });
});
