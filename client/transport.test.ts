import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS, statusBody } from '../protocol/index.ts';
import { fetchTransport } from './transport.ts';

function fakeFetch(status: number, body: unknown, fail = false) {
  const calls: [string, RequestInit][] = [];
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push([String(input), init]);
    if (fail) throw new TypeError('Failed to fetch');
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const live = { remainingMs: 287_512, idleTimeoutMs: 300_000, warningMs: 60_000, absoluteRemainingMs: 43_187_512 };
const liveBody = statusBody(live);

describe('fetchTransport', () => {
  it('GET {base} for the status, same-origin credentials, no cache', async () => {
    const { calls, fetch } = fakeFetch(200, liveBody);
    expect(await fetchTransport('/session', fetch).status()).toEqual({ type: 'live', ...live });
    expect(calls[0]).toEqual(['/session', expect.objectContaining({ method: 'GET', credentials: 'same-origin', cache: 'no-store' })]);
    expect(calls[0]![1].body).toBeUndefined();
  });

  it('sends the cookie to an API on another origin of the site when asked: credentials "include" on every route', async () => {
    const { calls, fetch } = fakeFetch(200, liveBody);
    const transport = fetchTransport('https://api.example.com/session', fetch, 'include');
    await transport.status();
    await transport.keepalive(0);
    await transport.logout();
    expect(calls.map(([url, init]) => [url, init.credentials])).toEqual([
      ['https://api.example.com/session', 'include'],
      ['https://api.example.com/session/keepalive', 'include'],
      ['https://api.example.com/session/logout', 'include'],
    ]);
  });

  it('POST {base}/keepalive with a whole, non-negative idleMs', async () => {
    const { calls, fetch } = fakeFetch(200, liveBody);
    await fetchTransport('/api/session/', fetch).keepalive(1250.7);
    await fetchTransport('/api/session', fetch).keepalive(-3);
    expect(calls.map(([url, init]) => [url, init.method, init.body])).toEqual([
      ['/api/session/keepalive', 'POST', '{"idleMs":1250}'],
      ['/api/session/keepalive', 'POST', '{"idleMs":0}'],
    ]);
    expect(new Headers(calls[0]![1].headers).get('content-type')).toBe('application/json');
  });

  it('POST {base}/logout with keepalive: true, so it survives navigation', async () => {
    const { calls, fetch } = fakeFetch(200, { state: 'signed-out' });
    expect(await fetchTransport('/session', fetch).logout()).toEqual({ type: 'signed-out' });
    expect(calls[0]).toEqual(['/session/logout', expect.objectContaining({ method: 'POST', keepalive: true, credentials: 'same-origin' })]);
  });

  it('401 → signed out; 503, a network error or a body that is not the protocol → unreachable', async () => {
    expect(await fetchTransport('/s', fakeFetch(401, { state: 'signed-out', error: 'unknown-session' }).fetch).keepalive(0)).toEqual({ type: 'signed-out' });
    expect(await fetchTransport('/s', fakeFetch(503, { state: 'unavailable' }).fetch).keepalive(0)).toEqual({ type: 'unreachable', status: 503 });
    expect(await fetchTransport('/s', fakeFetch(0, null, true).fetch).status()).toEqual({ type: 'unreachable', status: 0 });
    expect(await fetchTransport('/s', fakeFetch(200, '<html>').fetch).status()).toEqual({ type: 'unreachable', status: 200 });
  });

  it('401 session-revoked or session-replaced → signed out, ended elsewhere; other 401 codes are not', async () => {
    for (const error of ['session-revoked', 'session-replaced']) {
      const result = await fetchTransport('/s', fakeFetch(401, { state: 'signed-out', error }).fetch).status();
      expect(result).toEqual({ type: 'signed-out', revoked: true });
    }
    for (const body of [{ state: 'signed-out', error: 'no-session' }, 'Unauthorized', { error: 'unknown-session' }]) {
      expect(await fetchTransport('/s', fakeFetch(401, body).fetch).status()).toEqual({ type: 'signed-out' });
    }
    // The transport tells them apart by the prefix: no other code of the protocol may start with it.
    expect(Object.keys(PROTOCOL_ERRORS).filter((code) => code.startsWith('session-re'))).toEqual(['session-revoked', 'session-replaced']);
  });

  it('another 4xx → refused (a configuration error), with the error code and message of the JSON body', async () => {
    const csrf = { error: 'csrf', message: 'Cross-site request refused.' };
    expect(await fetchTransport('/s', fakeFetch(403, csrf).fetch).keepalive(0)).toEqual({ type: 'refused', status: 403, ...csrf });
    expect(await fetchTransport('/s', fakeFetch(403, csrf).fetch).logout()).toEqual({ type: 'refused', status: 403, ...csrf });
    expect(await fetchTransport('/s', fakeFetch(404, 'Not Found').fetch).status()).toEqual({ type: 'refused', status: 404 });
    const notJson = (async () => new Response('<h1>Not Found</h1>', { status: 404 })) as typeof fetch;
    expect(await fetchTransport('/s', notJson).status()).toEqual({ type: 'refused', status: 404 });
  });

  it('a logout that fails (network error, 503) is unreachable, not signed out, so it is retried', async () => {
    expect(await fetchTransport('/s', fakeFetch(0, null, true).fetch).logout()).toEqual({ type: 'unreachable', status: 0 });
    expect(await fetchTransport('/s', fakeFetch(503, { state: 'unavailable' }).fetch).logout()).toEqual({ type: 'unreachable', status: 503 });
  });
});
