// "Your sessions" on /app: this browser and the user's others (another browser profile signed in as
// the same name), with "End" per row and "Sign out other sessions". It uses the server's optional
// routes (docs/protocol.md "Optional: the user's sessions"). Display data comes from the
// User-Agent, so it is set as text, never as HTML. The other browser's open tabs learn that their
// session ended on their next status check (the SDK's revocationCheckMs) and go to /signed-out.
import { END_OTHER_SESSIONS_PATH, END_SESSION_PATH, SESSIONS_PATH, type SessionListBody, type SessionSummary } from '../../protocol/index.ts';

const BASE = '/session';
/** These reads are not the user's activity: the server never counts them, the header says so too. */
const BACKGROUND = { 'Idle-Logout-Background': '1' };

export interface SessionsPanel {
  refresh(): Promise<void>;
}

/**
 * Fills `list` with the user's sessions and wires `endOthers`; `onSignedOut` runs on a 401 (this
 * session itself has ended) and `log` gets a line per action.
 *
 * @example
 * const panel = mountSessionsPanel({ list, endOthers, status, log: console.log });
 * await panel.refresh();
 */
export function mountSessionsPanel(parts: { list: HTMLElement; endOthers: HTMLButtonElement; status: HTMLElement; log: (text: string) => void }): SessionsPanel {
  const { list, endOthers, status, log } = parts;

  async function post(path: string, body: object): Promise<number | undefined> {
    const response = await fetch(BASE + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).catch(() => undefined);
    if (!response?.ok) {
      status.textContent = response ? `The server refused (${response.status}).` : 'The server cannot be reached.';
      return undefined;
    }
    return ((await response.json()) as { ended: number }).ended;
  }

  function row(session: SessionSummary): HTMLLIElement {
    const item = document.createElement('li');
    const name = document.createElement('strong');
    name.textContent = session.display.device ?? 'Unknown browser';
    const since = document.createElement('span');
    since.className = 'muted';
    since.textContent = ` — signed in ${new Date(session.createdAt).toLocaleTimeString()}, last active ${new Date(session.lastActiveAt).toLocaleTimeString()}`;
    item.append(name);
    if (session.current) {
      const mark = document.createElement('span');
      mark.className = 'tag';
      mark.textContent = 'This browser';
      item.append(' ', mark);
    }
    item.append(since);
    if (!session.current) {
      const end = document.createElement('button');
      end.type = 'button';
      end.className = 'secondary small';
      end.textContent = 'End';
      end.setAttribute('aria-label', `End the session on ${name.textContent}`);
      end.addEventListener('click', async () => {
        end.disabled = true;
        if ((await post(END_SESSION_PATH, { handle: session.handle })) !== undefined) log(`ended the session on ${name.textContent}`);
        await refresh();
      });
      item.append(' ', end);
    }
    return item;
  }

  async function refresh(): Promise<void> {
    const response = await fetch(BASE + SESSIONS_PATH, { headers: BACKGROUND }).catch(() => undefined);
    if (!response?.ok) {
      status.textContent = response?.status === 401 ? 'This session has ended.' : 'The list cannot be loaded now.';
      return;
    }
    const { sessions } = (await response.json()) as SessionListBody;
    list.replaceChildren(...sessions.map(row));
    const others = sessions.filter((s) => !s.current).length;
    endOthers.disabled = others === 0;
    status.textContent = others === 0 ? 'No other browser is signed in as you.' : `${others} other ${others === 1 ? 'session' : 'sessions'}.`;
  }

  endOthers.addEventListener('click', async () => {
    endOthers.disabled = true;
    const ended = await post(END_OTHER_SESSIONS_PATH, {});
    if (ended !== undefined) log(`signed out ${ended} other ${ended === 1 ? 'session' : 'sessions'}`);
    await refresh();
  });
  // Another browser may sign in or out at any time: look again when the user comes back to this tab.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh();
  });
  return { refresh };
}
