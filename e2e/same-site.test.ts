// An app at app.example.test whose API, with the session, is at api.example.test: another origin of
// the same site (README "API on another origin of the same site"). Real Chromium resolves every
// name to 127.0.0.1 (`--host-resolver-rules`); the pages come from one server on one port, told apart
// by Host, and the API is the server half with hono/cors and `cookie.domain` on a second port (and
// on a third, the same without `cookie.domain`). Chromium sends
// `Sec-Fetch-Site: same-site` from app.example.test to api.example.test (both under the site
// example.test), `cross-site` from evil.test.
//
// Browsers send Fetch Metadata only to potentially trustworthy URLs (https, localhost), and a real
// deployment is https. These are plain-http names, so Chromium is told to treat each origin as
// secure (`--unsafely-treat-insecure-origin-as-secure`): it then sends Sec-Fetch-Site as it would
// over https, and the app page is a secure context (Web Locks) as it would be.
import type { AddressInfo } from 'node:net';
import { builtText } from './built.ts';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_HEADER } from '../protocol/index.ts';
import { createIdleSession, type IdleSession, type IdleSessionEnv } from '../server/index.ts';
import { browserUnavailable, launchBrowser } from './browser.ts';

const IDLE_MS = 6_000;
const WARNING_MS = 3_000;

/** What the API answered, as it saw each request (CORS preflights too). */
type Seen = { origin: string | null; site: string | null; method: string; path: string; status: number };

let browser: Browser;
let context: BrowserContext;
let idle: IdleSession;
const sessions: IdleSession[] = [];
const servers: ServerType[] = [];
const seen: Seen[] = [];
let pagesPort: number;
let api: string;
/** The same API without `cookie.domain`: its cookie is host-only. */
let hostOnlyApi: string;

const origin = (host: string) => `http://${host}:${pagesPort}`;

async function listen(app: Hono<IdleSessionEnv>): Promise<number> {
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** The API as the README sets it up: CORS for the app's origin with credentials, then the session. */
async function startApi(appOrigin: string, cookieDomain?: string): Promise<{ port: number; idle: IdleSession }> {
  const idle = createIdleSession({
    idleTimeoutMs: IDLE_MS,
    warningMs: WARNING_MS,
    allowedOrigins: [appOrigin],
    ...(cookieDomain ? { cookie: { domain: cookieDomain } } : {}),
    logger: { warn: () => {}, error: console.error },
  });
  sessions.push(idle);
  const app = new Hono<IdleSessionEnv>();
  app.use(async (c, next) => {
    await next();
    const { pathname } = new URL(c.req.url);
    seen.push({ origin: c.req.header('origin') ?? null, site: c.req.header('sec-fetch-site') ?? null, method: c.req.method, path: pathname, status: c.res.status });
  });
  app.use(cors({ origin: [appOrigin], credentials: true, allowHeaders: ['Content-Type', BACKGROUND_HEADER] }));
  app.use(idle.middleware);
  app.route('/', idle.routes);
  app.get('/api/data', (c) => c.json({ ok: true }));
  app.post('/login', idle.requireSameOrigin, async (c) => {
    await idle.signIn(c, 'alice');
    return c.json({ state: 'active' });
  });
  return { port: await listen(app), idle };
}

/** Every page host: a page that signs in against the API, and the app page that runs the SDK. */
async function startPages(): Promise<number> {
  const script = await builtText('dist/idle-logout.iife.js');
  const app = new Hono<IdleSessionEnv>();
  app.get('/idle-logout.iife.js', (c) => c.body(script, 200, { 'Content-Type': 'text/javascript; charset=UTF-8' }));
  app.get('/signed-out', (c) => c.html('<!doctype html><title>Signed out</title><h1>Signed out</h1>'));
  app.get('/app', (c) =>
    c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>
<script src="/idle-logout.iife.js" data-autostart="false"></script></head><body><h1>App</h1>
<script>IdleLogout.startIdleLogout({ endpoint: ${JSON.stringify(`${api}/session`)}, credentials: 'include', signedOutUrl: '/signed-out' });</script>
</body></html>`),
  );
  return listen(app);
}

/**
 * POSTs from a page of `host` to the API with the browser's cookies: as the app's own code would
 * (CORS, JSON), or as an attacker would, with a simple request that needs no CORS preflight
 * (`no-cors`, a text/plain body), so only the server's own check can refuse it.
 */
async function postFrom(host: string, path: string, as: 'app' | 'attacker' = 'app', base = api): Promise<Seen> {
  const page = await context.newPage();
  await page.goto(`${origin(host)}/signed-out`);
  const before = seen.length;
  await page.evaluate(
    ([url, simple]) =>
      fetch(url!, simple ? { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"idleMs":0}' } : { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{"idleMs":0}' }).catch(() => undefined),
    [`${base}${path}`, as === 'attacker' ? 'simple' : ''],
  );
  await page.close();
  return seen.slice(before).find((request) => request.method === 'POST')!;
}

/** GETs an API route from a page of `host` with the browser's cookies, as the app would or as another page could. */
async function getFrom(host: string, as: 'app' | 'attacker'): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${origin(host)}/signed-out`);
  await page.evaluate(([url, mode]) => fetch(url!, { credentials: 'include', mode: mode as RequestMode }).catch(() => undefined), [`${api}/api/data`, as === 'app' ? 'cors' : 'no-cors']);
  await page.close();
}

const lastActiveAt = async () => (await idle.listSessions('alice')).at(-1)!.lastActiveAt;

const sessionCookie = async (base = api) => (await context.cookies(base)).find((cookie) => cookie.name === 'idle_session');

describe.skipIf(browserUnavailable)('an API on another origin of the same site', () => {
  beforeAll(async () => {
    pagesPort = await startPages();
    const shared = await startApi(origin('app.example.test'), 'example.test');
    idle = shared.idle;
    api = `http://api.example.test:${shared.port}`;
    const hostOnly = await startApi(origin('app.example.test'));
    hostOnlyApi = `http://api.example.test:${hostOnly.port}`;
    const hosts = ['app.example.test', 'other.example.test', 'evil.test'].map(origin);
    browser = await launchBrowser({
      args: ['--host-resolver-rules=MAP *.example.test 127.0.0.1, MAP evil.test 127.0.0.1', `--unsafely-treat-insecure-origin-as-secure=${[...hosts, api, hostOnlyApi].join(',')}`],
    });
    context = await browser.newContext();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    for (const session of sessions) session.close();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('signs in, warns, stays and signs out across app.example.test and api.example.test', async () => {
    const signIn = await postFrom('app.example.test', '/login');
    expect(signIn).toMatchObject({ site: 'same-site', origin: origin('app.example.test'), status: 200 });
    // Set for the whole site, so app.example.test's own server could read it too.
    expect(await sessionCookie()).toMatchObject({ domain: '.example.test', httpOnly: true, sameSite: 'Lax' });

    const page = await context.newPage();
    await page.goto(`${origin('app.example.test')}/app`);
    await page.waitForFunction(() => window.IdleLogout?.handle?.getPhase() === 'active', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => window.IdleLogout.handle?.getPhase() === 'warning', undefined, { timeout: IDLE_MS * 2 });

    const beforeStay = seen.length;
    await page.evaluate(() => window.IdleLogout.handle!.staySignedIn());
    await page.waitForFunction(() => window.IdleLogout.handle?.getPhase() === 'active', undefined, { timeout: 10_000 });
    // The keepalive crossed origins with the cookie and was accepted: the session runs for a whole idle timeout again.
    expect(seen.slice(beforeStay).find((request) => request.method === 'POST' && request.path === '/session/keepalive')).toMatchObject({ site: 'same-site', status: 200 });
    expect(await page.evaluate(() => window.IdleLogout.handle!.getRemainingMs())).toBeGreaterThan(WARNING_MS);

    await Promise.all([page.waitForURL('**/signed-out?reason=user', { timeout: 10_000 }), page.evaluate(() => window.IdleLogout.handle!.signOut())]);
    expect(seen.find((request) => request.method === 'POST' && request.path === '/session/logout')).toMatchObject({ site: 'same-site', status: 200 });
    // The clearing Set-Cookie had the same Domain, so it removed the cookie.
    expect(await sessionCookie()).toBeUndefined();
  }, 60_000);

  it('still refuses a sibling origin that is not allowed, and another site', async () => {
    expect(await postFrom('app.example.test', '/login')).toMatchObject({ status: 200 });
    expect(await postFrom('other.example.test', '/session/keepalive', 'attacker')).toMatchObject({ site: 'same-site', status: 403 });
    expect(await postFrom('evil.test', '/session/keepalive', 'attacker')).toMatchObject({ site: 'cross-site', status: 403 });
    expect(await postFrom('other.example.test', '/session/logout', 'attacker')).toMatchObject({ site: 'same-site', status: 403 });
    expect(await sessionCookie()).toBeDefined();
  }, 30_000);

  it('counts the app page’s requests to the API as activity, and no other sibling’s', async () => {
    expect(await postFrom('app.example.test', '/login')).toMatchObject({ status: 200 });
    const signedInAt = await lastActiveAt();
    await new Promise((resolve) => setTimeout(resolve, 50)); // so that a new activity time differs
    await getFrom('other.example.test', 'attacker');
    await getFrom('evil.test', 'attacker');
    // Recorded after the response when at all: give it time to land before saying it did not.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await lastActiveAt()).toBe(signedInAt);
    await getFrom('app.example.test', 'app');
    await expect.poll(lastActiveAt, { timeout: 5_000 }).toBeGreaterThan(signedInAt);
  }, 30_000);

  it('needs no cookie domain for the API alone: a same-site request carries its host-only cookie', async () => {
    // A fresh cookie jar: cookies ignore ports, so the other API's .example.test cookie would come along.
    context = await browser.newContext();
    expect(await postFrom('app.example.test', '/login', 'app', hostOnlyApi)).toMatchObject({ site: 'same-site', status: 200 });
    expect(await sessionCookie(hostOnlyApi)).toMatchObject({ domain: 'api.example.test', sameSite: 'Lax' });
    const page = await context.newPage();
    await page.goto(`${origin('app.example.test')}/signed-out`);
    const status = await page.evaluate((url) => fetch(url, { credentials: 'include' }).then((response) => response.status), `${hostOnlyApi}/session`);
    expect(status).toBe(200);
    await page.close();
  }, 30_000);
});
