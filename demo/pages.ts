// The demo's HTML. Plain strings: the demo has three small pages and no client framework.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 1rem/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
  label, input, button, textarea { font: inherit; }
  input, textarea { padding: .4rem; border: 2px solid #505a5f; border-radius: .25rem; }
  button { padding: .4rem 1rem; border: 0; border-radius: .25rem; background: #00703c; color: #fff; cursor: pointer; }
  .error { color: #d4351c; }
</style>
${head}
</head>
<body>
${body}
</body>
</html>`;
}

const REASONS: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity.',
  user: 'You signed out.',
  server: 'The server ended your session.',
};

function minutes(ms: number): string {
  const value = Math.round(ms / 6_000) / 10;
  return `${value} minute${value === 1 ? '' : 's'}`;
}

export const pages = {
  signIn(error?: string): string {
    return layout(
      'Sign in — idle-logout demo',
      `<main>
  <h1>Sign in</h1>
  ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/login">
    <label for="username">Username</label><br>
    <input id="username" name="username" autocomplete="username" required maxlength="64">
    <button type="submit">Sign in</button>
  </form>
</main>`,
    );
  },

  app(view: { subject: string; idleTimeoutMs: number; warningMs: number; basePath: string }): string {
    return layout(
      'Signed in — idle-logout demo',
      `<main>
  <h1>Hello, ${escapeHtml(view.subject)}</h1>
  <p id="inactivity-notice">You will be signed out after ${minutes(view.idleTimeoutMs)} of inactivity. You will be warned ${minutes(view.warningMs)} before.</p>
  <p>Phase: <strong id="phase">starting</strong> · time left: <strong id="remaining">–</strong></p>
  <form method="post" action="${escapeHtml(view.basePath)}/logout"><button type="submit">Sign out</button></form>
</main>`,
      `<script src="/idle-logout.iife.js" data-endpoint="${escapeHtml(view.basePath)}" data-signed-out-url="/signed-out" defer></script>`,
    );
  },

  signedOut(reason: string | undefined): string {
    const text = (reason && REASONS[reason]) ?? 'You are signed out.';
    return layout(
      'Signed out — idle-logout demo',
      `<main>
  <h1>You were signed out</h1>
  <p id="reason">${escapeHtml(text)}</p>
  <p><a href="/">Sign in again</a></p>
</main>`,
    );
  },
};
