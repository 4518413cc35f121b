// The protocol conformance suite (protocol/testing/conformance.ts) against this repository's server, in
// process, on an injected clock: every check passes against the real app, and each check that
// guards a promise fails against the real app wrapped to break that promise. package/pack.test.ts
// runs the same checks against the installed package under Node, Bun, Deno and workerd.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../server/testing/app.ts';
import { fetchOverHttp } from './testing/http-client.ts';
import { CONFORMANCE_CHECKS, type ConformanceCheck, type ConformanceTarget } from './testing/conformance.ts';

type Fetch = NonNullable<ConformanceTarget['fetch']>;

const ORIGIN = 'http://localhost';

/** The README's set-up as a conformance server (protocol/testing/conformance.ts, top), on a clock of its own. */
function conformanceServer(options: { idleTimeoutMs?: number; warningMs?: number; absoluteTimeoutMs?: number } = {}) {
  const { app, clock } = createTestApp({ guardSignIn: true, trustedProtoHeader: 'x-forwarded-proto', ...options });
  // The clock is ours: the default five minutes cost no waiting.
  return { app, clock: { now: clock.now, sleep: async (ms: number) => clock.advance(ms), longestWaitMs: Infinity } };
}

/** That server, answering `app.request` in process. */
function inProcess(options: { idleTimeoutMs?: number; warningMs?: number; absoluteTimeoutMs?: number } = {}) {
  const { app, clock } = conformanceServer(options);
  return { origin: ORIGIN, fetch: (async (url, init) => app.request(url, init)) as Fetch, ...clock };
}

function checkNamed(start: string): ConformanceCheck {
  const found = CONFORMANCE_CHECKS.find((check) => check.name.startsWith(start));
  if (!found) throw new Error(`no conformance check starts with "${start}"`);
  return found;
}

describe('the protocol conformance suite against the in-process server (injected clock)', () => {
  it('names every check once', () => {
    expect(new Set(CONFORMANCE_CHECKS.map((check) => check.name)).size).toBe(CONFORMANCE_CHECKS.length);
    expect(CONFORMANCE_CHECKS.length).toBeGreaterThan(20);
  });

  for (const check of CONFORMANCE_CHECKS) {
    it(check.name, async () => {
      await check.run(inProcess());
    });
  }

  it('passes over real HTTP (@hono/node-server on a loopback port: Content-Length and chunked bodies as sent)', async () => {
    const { app, clock } = conformanceServer();
    const server: ServerType = await new Promise((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    try {
      const target = { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, fetch: fetchOverHttp, ...clock };
      for (const check of CONFORMANCE_CHECKS) await check.run(target);
    } finally {
      server.close();
    }
  });

  it('passes with the short schedule the runtimes use (3 s idle, 1.5 s warning), every check on one server', async () => {
    // One after another: on an injected clock, checks run at once would add up their waits.
    const target = inProcess({ idleTimeoutMs: 3_000, warningMs: 1_500 });
    for (const check of CONFORMANCE_CHECKS) await check.run(target);
  });
});

/** Answers of `fetch`, changed by `change`. */
function rewriteAnswers(fetch: Fetch, change: (response: Response, url: string, init: RequestInit) => Response | Promise<Response>): Fetch {
  return async (url, init) => change(await fetch(url, init), url, init);
}

function withHeaders(response: Response, edit: (headers: Headers) => void): Response {
  const headers = new Headers(response.headers);
  edit(headers);
  return new Response(response.body, { status: response.status, headers });
}

/** Requests `fetch` sends, with headers changed by `edit` first. */
function rewriteRequests(fetch: Fetch, edit: (headers: Headers, url: string, init: RequestInit) => void): Fetch {
  return async (url, init) => {
    const headers = new Headers(init.headers);
    edit(headers, url, init);
    return fetch(url, { ...init, headers });
  };
}

/** A broken server: the real one, wrapped. Each row: the check that must catch it, and how it says so. */
const BROKEN: { fault: string; check: string; failure: RegExp; wrap: (fetch: Fetch) => Fetch; clock?: 'frozen' }[] = [
  {
    fault: 'the status route extends the session',
    check: 'GET {base} of a live session',
    failure: /GET \{base\} must not extend/,
    wrap: (fetch) => async (url, init) => {
      if (init.method === 'GET' && url === `${ORIGIN}/session`) {
        await fetch(`${ORIGIN}/session/keepalive`, { method: 'POST', headers: { cookie: new Headers(init.headers).get('cookie') ?? '', 'sec-fetch-site': 'same-origin' } });
      }
      return fetch(url, init);
    },
  },
  {
    fault: 'an answer without Cache-Control: no-store',
    check: 'POST {base}/logout',
    failure: /Cache-Control must be no-store/,
    wrap: (fetch) => rewriteAnswers(fetch, (response, url) => (url.endsWith('/logout') ? withHeaders(response, (h) => h.delete('cache-control')) : response)),
  },
  {
    fault: 'the keepalive ignores idleMs',
    check: 'POST {base}/keepalive {"idleMs": k}',
    failure: /no later/,
    wrap: (fetch) => async (url, init) => fetch(url, url.endsWith('/keepalive') && typeof init.body === 'string' && init.body.includes('.75') ? { ...init, body: '{"idleMs":0}' } : init),
  },
  {
    fault: 'the background header is not honoured',
    check: 'which requests to the app extend the session',
    failure: /Idle-Logout-Background: 1 .* must not extend/,
    wrap: (fetch) => rewriteRequests(fetch, (headers) => headers.delete('idle-logout-background')),
  },
  {
    fault: 'a cross-site navigation counts as activity',
    check: 'which requests to the app extend the session',
    failure: /cross-site .* must not extend/,
    wrap: (fetch) => rewriteRequests(fetch, (headers) => headers.get('sec-fetch-site') === 'cross-site' && headers.set('sec-fetch-site', 'same-origin')),
  },
  {
    fault: 'a request with neither Sec-Fetch-Site nor Origin passes the CSRF check',
    check: 'keepalive and logout refuse',
    failure: /neither Sec-Fetch-Site nor Origin must be refused 403 csrf/,
    wrap: (fetch) => rewriteRequests(fetch, (headers) => !headers.has('sec-fetch-site') && !headers.has('origin') && headers.set('sec-fetch-site', 'same-origin')),
  },
  {
    fault: 'a 405 without Allow',
    check: 'other methods on the protocol paths',
    failure: /must say Allow: GET, HEAD/,
    wrap: (fetch) => rewriteAnswers(fetch, (response) => (response.status === 405 ? withHeaders(response, (h) => h.delete('allow')) : response)),
  },
  {
    fault: 'a session cookie without HttpOnly',
    check: 'the session cookie on plain http',
    failure: /must be HttpOnly/,
    wrap: (fetch) => rewriteAnswers(fetch, (response) => withHeaders(response, (h) => {
      const cookies = h.getSetCookie();
      h.delete('set-cookie');
      for (const cookie of cookies) h.append('set-cookie', cookie.replace(/; HttpOnly/i, ''));
    })),
  },
  {
    fault: 'an oversized chunked keepalive is read whole',
    check: 'POST {base}/keepalive with a body over',
    failure: /413 with error "body-too-large"/,
    wrap: (fetch) => async (url, init) => (init.body instanceof ReadableStream ? fetch(url, { ...init, body: '{"idleMs":0}' }) : fetch(url, init)),
  },
  {
    fault: 'a keepalive moves the absolute deadline (its answer says a minute more)',
    check: 'a keepalive never moves the absolute deadline',
    failure: /must not move the absolute deadline/,
    wrap: (fetch) => rewriteAnswers(fetch, async (response, url) => {
      if (!url.endsWith('/keepalive')) return response;
      const text = (await response.text()).replace(/"absoluteRemainingMs":(\d+)/, (_, ms: string) => `"absoluteRemainingMs":${Number(ms) + 60_000}`);
      return new Response(text, { status: response.status, headers: response.headers });
    }),
  },
  {
    fault: 'keepalives carry a session past the absolute deadline its answers state',
    check: 'keepalives never move the deadline past the absolute deadline',
    failure: /absoluteRemainingMs must be an integer ≥ remainingMs|expected 401 with error "unknown-session"/,
    // The real server's absolute deadline is 12 h away; its answers say 1 h.
    wrap: (fetch) => rewriteAnswers(fetch, async (response) => {
      const text = (await response.text()).replace(/"absoluteRemainingMs":(\d+)/, (_, ms: string) => `"absoluteRemainingMs":${Number(ms) - 11 * 3_600_000}`);
      return new Response(response.status === 204 ? null : text, { status: response.status, headers: response.headers });
    }),
  },
  {
    fault: 'sessions never expire (the server\'s clock stands still)',
    check: 'a session left idle ends at its deadline',
    failure: /expected 401 with error "unknown-session"/,
    wrap: (fetch) => fetch,
    clock: 'frozen',
  },
];

describe('each promise has a check that catches a server breaking it', () => {
  for (const { fault, check, failure, wrap, clock } of BROKEN) {
    it(`${fault} → "${check}…" fails`, async () => {
      const target = inProcess();
      const broken = { ...target, fetch: wrap(target.fetch), ...(clock === 'frozen' ? { sleep: async () => {} } : {}) };
      await expect(checkNamed(check).run(broken)).rejects.toThrow(failure);
      await checkNamed(check).run(inProcess()); // and the real server passes it
    });
  }
});
