// The demo app: a sign-in form, a signed-in page that runs the client SDK from its script tag,
// and a signed-out page. Built on the same public server API an app would use; the pages are
// built by Vite from demo/web into dist/demo.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { createIdleSession, type ActiveSession, type IdleSessionEnv, type IdleSessionOptions } from '../server/index.ts';
import { describeBrowser } from './device.ts';

export interface DemoAppOptions extends IdleSessionOptions {
  /** A built file under dist/ (`idle-logout.iife.js`, `demo/app.html`, …), or undefined when missing. */
  readBuiltFile: (path: string) => Promise<string | undefined>;
  /** Given to the page's script tag as `data-revocation-check-ms`; default: the SDK's. */
  revocationCheckMs?: number;
}

const USERNAME = /^[\p{L}\p{N}_.@-]{1,64}$/u;
/** A sign-in body is one short field; anything longer is refused before it is buffered. */
const MAX_SIGN_IN_BYTES = 4 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=UTF-8',
  js: 'text/javascript; charset=UTF-8',
  css: 'text/css; charset=UTF-8',
};

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

async function usernameFrom(request: Request, isJson: boolean): Promise<string | undefined> {
  let value: unknown;
  if (isJson) {
    const body: unknown = await request.json().catch(() => undefined);
    value = typeof body === 'object' && body !== null ? (body as { username?: unknown }).username : undefined;
  } else {
    value = (await request.formData().catch(() => undefined))?.get('username');
  }
  return typeof value === 'string' && USERNAME.test(value.trim()) ? value.trim() : undefined;
}

/**
 * Every page is the demo's own files: scripts and styles from this origin only (the SDK's dialog
 * uses constructed stylesheets, which style-src does not restrict), no framing, no plugins.
 */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: 'no-referrer',
});

/** Responses that set the cookie or show who is signed in must not be stored by any cache. */
const NO_STORE = { 'Cache-Control': 'no-store' };
function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store');
}

export function createDemoApp(options: DemoAppOptions) {
  const { readBuiltFile, revocationCheckMs, ...sessionOptions } = options;
  const idle = createIdleSession({
    // The page runs the client SDK, which reports real input through keepalives. A page load or a
    // reload is not proof that someone is there (a restored tab, a prefetch), so reads never extend.
    isBackgroundRequest: (c) => c.req.method === 'GET' || c.req.method === 'HEAD',
    ...sessionOptions,
  });
  const app = new Hono<IdleSessionEnv>();
  app.use(securityHeaders);
  app.use(idle.middleware);
  app.route('/', idle.routes);
  // "Your sessions" on /app: list mine, end one, end all others (JSON, CSRF-checked like the protocol).
  app.route('/', idle.sessionRoutes);

  async function serveBuilt(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const body = await readBuiltFile(path);
    const extension = path.slice(path.lastIndexOf('.') + 1);
    if (body === undefined) {
      return new Response(`${path} is not built: run \`npm run build\`.`, { status: 503, headers: { 'Content-Type': 'text/plain; charset=UTF-8' } });
    }
    return new Response(body, { headers: { 'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream', ...headers } });
  }

  app.get('/', async (c) => {
    noStore(c); // the answer depends on the cookie
    let session: ActiveSession | null = null;
    try {
      session = await c.var.getSession();
    } catch (error) {
      // The store is down: the form claims nothing about the session, so it still loads.
      if (!(error instanceof HTTPException)) throw error;
    }
    return session ? c.redirect('/app', 303) : serveBuilt('demo/index.html', NO_STORE);
  });

  app.post(
    '/login',
    // Refuse a cross-site sign-in before reading its body, then read at most a few KB of it.
    idle.requireSameOrigin,
    bodyLimit({
      maxSize: MAX_SIGN_IN_BYTES,
      onError: (c) => c.json({ error: 'body-too-large', message: `A sign-in body may be at most ${MAX_SIGN_IN_BYTES} bytes.` }, 413),
    }),
    async (c) => {
      noStore(c);
      const isJson = (c.req.header('content-type') ?? '').startsWith('application/json');
      const username = await usernameFrom(c.req.raw, isJson);
      if (!username) {
        const message = 'username must be 1 to 64 letters, digits or _ . @ -';
        return isJson ? c.json({ error: 'invalid-username', message }, 400) : c.redirect('/?error=invalid-username', 303);
      }
      // What the "Your sessions" list shows for this session, so the user can tell their browsers apart.
      await idle.signIn(c, username, undefined, { display: { device: describeBrowser(c.req.header('User-Agent')) } });
      return isJson ? c.json({ state: 'active', subject: username }) : c.redirect('/app', 303);
    },
  );

  app.get('/app', async (c) => {
    noStore(c);
    const session = await c.var.getSession();
    if (!session) return c.redirect('/signed-out?reason=server', 303);
    const page = await readBuiltFile('demo/app.html');
    if (page === undefined) return serveBuilt('demo/app.html');
    // Kept work is scoped to the user, so one person's draft never shows for another.
    const checkAttribute = revocationCheckMs === undefined ? '' : ` data-revocation-check-ms="${revocationCheckMs}"`;
    return c.html(page.replace('data-keep-work-user=""', `data-keep-work-user="${escapeAttribute(session.subject)}"${checkAttribute}`));
  });

  app.get('/api/me', idle.requireSession, (c) => {
    noStore(c);
    return c.json({ subject: c.var.session.subject, ...idle.schedule });
  });
  app.get('/signed-out', () => serveBuilt('demo/signed-out.html'));
  app.get('/idle-logout.iife.js', () => serveBuilt('idle-logout.iife.js'));
  app.get('/assets/:file{[A-Za-z0-9_-][A-Za-z0-9_.-]*}', (c) => serveBuilt(`demo/assets/${c.req.param('file')}`));

  return { app, idle };
}
