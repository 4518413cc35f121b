// A small app for the browser suites, in this process: the real server (createIdleSession on the
// memory store, real clock, a short schedule) and pages the test writes, loading the built
// script-tag file as an app would. Unlike the demo, pages are NOT `Cache-Control: no-store` unless
// a test asks: the README's script-tag set-up is the case users meet.
import { builtText } from './built.ts';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { createIdleSession, type IdleSession, type IdleSessionEnv, type IdleSessionOptions } from '../server/index.ts';

export interface AppPage {
  /** The page's HTML. `{{script}}` is replaced by the SDK's script tag with `scriptAttributes`. */
  html: string;
  /** Served with `Cache-Control: no-store`. Default false (the back/forward cache may keep it). */
  noStore?: boolean;
  /** Only for a live session; otherwise a 303 to `/signed-out?reason=server`. Default true. */
  signedIn?: boolean;
}

export interface AppServerOptions {
  idleTimeoutMs: number;
  warningMs: number;
  /** Paths to pages, e.g. `{ '/app': { html } }`. */
  pages: Record<string, AppPage>;
  /** Attributes of the SDK's script tag. Default `data-signed-out-url="/signed-out"`. */
  scriptAttributes?: string;
  /** Any other server option (absoluteTimeoutMs, onSessionEnd, …). */
  session?: Omit<IdleSessionOptions, 'idleTimeoutMs' | 'warningMs'>;
  /** Mounts the optional "your sessions" routes (`idle.sessionRoutes`). Default false. */
  sessionRoutes?: boolean;
  /** Runs before the routes, e.g. to inject 503s: return a Response to answer with it. */
  intercept?: (c: Context) => Response | undefined | Promise<Response | undefined>;
}

export interface RunningApp {
  origin: string;
  idle: IdleSession;
  stop(): Promise<void>;
}

const SIGNED_OUT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>
<body><h1>Signed out</h1><p id="reason"></p><p id="kept"></p>
<script>const q = new URLSearchParams(location.search);
document.getElementById('reason').textContent = q.get('reason') ?? '';
document.getElementById('kept').textContent = q.get('kept') ?? '';</script></body></html>`;

/**
 * Starts the app on a free loopback port. Sign in with `POST /login` `{"username": "…"}` (same
 * origin), e.g. `page.evaluate(() => fetch('/login', { method: 'POST', body: '{"username":"a"}' }))`.
 */
export async function startAppServer(options: AppServerOptions): Promise<RunningApp> {
  const script = await builtText('dist/idle-logout.iife.js');
  const idle = createIdleSession({
    idleTimeoutMs: options.idleTimeoutMs,
    warningMs: options.warningMs,
    logger: { warn: () => {}, error: console.error },
    // The SDK reports real input with keepalives; loading a page is not activity.
    isBackgroundRequest: (c) => c.req.method === 'GET',
    ...options.session,
  });
  const scriptTag = `<script src="/idle-logout.iife.js" ${options.scriptAttributes ?? 'data-signed-out-url="/signed-out"'}></script>`;
  const app = new Hono<IdleSessionEnv>();
  if (options.intercept) {
    const intercept = options.intercept;
    app.use(async (c, next) => (await intercept(c)) ?? next());
  }
  app.use(idle.middleware);
  app.route('/', idle.routes);
  if (options.sessionRoutes) app.route('/', idle.sessionRoutes);
  app.get('/idle-logout.iife.js', (c) => c.body(script, 200, { 'Content-Type': 'text/javascript; charset=UTF-8' }));
  app.get('/signed-out', (c) => c.html(SIGNED_OUT_PAGE));
  app.post('/login', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { username?: unknown };
    await idle.signIn(c, typeof body.username === 'string' && body.username ? body.username : 'user');
    return c.json({ state: 'active' });
  });
  for (const [path, page] of Object.entries(options.pages)) {
    app.get(path, async (c) => {
      if (page.signedIn !== false && !(await c.var.getSession())) return c.redirect('/signed-out?reason=server', 303);
      if (page.noStore) c.header('Cache-Control', 'no-store');
      return c.html(page.html.replaceAll('{{script}}', scriptTag));
    });
  }

  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    // "localhost", not 127.0.0.1: Chromium treats it as a secure context (Web Locks need one).
    origin: `http://localhost:${port}`,
    idle,
    stop: () =>
      new Promise<void>((resolve) => {
        idle.close();
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
