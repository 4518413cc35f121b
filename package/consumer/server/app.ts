// The README's server, as an app would write it (strict TypeScript; `checkPassword` is the app's).
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createIdleSession, type IdleSessionEnv } from 'idle-logout/server';

export const ended: string[] = [];

export const idle = createIdleSession({
  // A block body: the option's type is `void | Promise<void>`, so an arrow returning push's number
  // does not typecheck (reported; the README's `audit.log(…)` has the same trap if log returns a value).
  onSessionEnd: ({ subject, reason }) => {
    ended.push(`${subject}: ${reason}`);
  },
});

export const app = new Hono<IdleSessionEnv>();
app.use(idle.middleware);
app.route('/', idle.routes);

app.post(
  '/login',
  idle.requireSameOrigin,
  bodyLimit({ maxSize: 4 * 1024, onError: (c) => c.json({ error: 'body-too-large', message: 'At most 4 KB.' }, 413) }),
  async (c) => {
    const { username } = await c.req.json<{ username: string }>();
    await idle.signIn(c, username, { role: 'editor' });
    return c.redirect('/app', 303);
  },
);
app.get('/app', async (c) => {
  const session = await c.var.getSession();
  return session ? c.text(`Hello ${session.subject}`) : c.redirect('/signed-out', 303);
});
app.get('/api/me', idle.requireSession, (c) => c.json({ user: c.var.session.subject }));
