// The demo app: a sign-in form, a signed-in page that runs the client SDK from its script tag,
// and a signed-out page. Built on the same public server API an app would use.
import { Hono } from 'hono';
import { createIdleSession, type IdleSessionEnv, type IdleSessionOptions } from '../server/index.ts';
import { pages } from './pages.ts';

export interface DemoAppOptions extends IdleSessionOptions {
  /** The built script-tag file, or undefined when it has not been built. */
  readClientScript: () => Promise<string | undefined>;
}

const USERNAME = /^[\p{L}\p{N}_.@-]{1,64}$/u;

async function usernameFrom(request: Request): Promise<string | undefined> {
  const type = request.headers.get('content-type') ?? '';
  let value: unknown;
  if (type.startsWith('application/json')) {
    const body: unknown = await request.json().catch(() => undefined);
    value = typeof body === 'object' && body !== null ? (body as { username?: unknown }).username : undefined;
  } else {
    value = (await request.formData().catch(() => undefined))?.get('username');
  }
  return typeof value === 'string' && USERNAME.test(value.trim()) ? value.trim() : undefined;
}

export function createDemoApp(options: DemoAppOptions) {
  const { readClientScript, ...sessionOptions } = options;
  const idle = createIdleSession(sessionOptions);
  const app = new Hono<IdleSessionEnv>();
  app.use(idle.middleware);
  app.route('/', idle.routes);

  app.get('/', (c) => (c.var.session ? c.redirect('/app', 303) : c.html(pages.signIn())));

  app.post('/login', async (c) => {
    const wantsJson = (c.req.header('content-type') ?? '').startsWith('application/json');
    const username = await usernameFrom(c.req.raw);
    if (!username) {
      const message = 'username must be 1 to 64 letters, digits or _ . @ -';
      return wantsJson ? c.json({ error: 'invalid-username', message }, 400) : c.html(pages.signIn(message), 400);
    }
    await idle.signIn(c, username);
    return wantsJson ? c.json({ state: 'active', subject: username }) : c.redirect('/app', 303);
  });

  app.get('/app', (c) => {
    c.header('Cache-Control', 'no-store');
    const session = c.var.session;
    if (!session) return c.redirect('/signed-out?reason=server', 303);
    return c.html(pages.app({ subject: session.subject, ...idle.schedule, basePath: idle.basePath }));
  });

  app.get('/signed-out', (c) => c.html(pages.signedOut(c.req.query('reason'))));

  app.get('/idle-logout.iife.js', async (c) => {
    const script = await readClientScript();
    if (script === undefined) return c.text('// The client is not built: run `npm run build`.', 503);
    c.header('Content-Type', 'text/javascript; charset=UTF-8');
    return c.body(script);
  });

  return { app, idle };
}
