// The signed-in demo page: a live view of what the SDK (loaded by its script tag) and the server
// each think. Everything here uses the SDK's public handle and events; nothing reaches inside.
import type * as IdleLogoutGlobal from '../../client/script-tag.ts';
import { mountSessionsPanel } from './sessions-panel.ts';

declare global {
  interface Window {
    IdleLogout: typeof IdleLogoutGlobal;
  }
}

const $ = (id: string) => document.getElementById(id)!;
const sdk = window.IdleLogout;
const handle = sdk.handle!;
const RING_LENGTH = 2 * Math.PI * 52;
let idleTimeoutMs = 0;

function clock(ms: number | null): string {
  if (ms === null) return '–:––';
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function log(text: string): void {
  const item = document.createElement('li');
  const time = document.createElement('time');
  const at = new Date();
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString();
  item.append(time, text);
  $('log').prepend(item);
}

function render(): void {
  const remainingMs = handle.getRemainingMs();
  const phase = handle.getPhase();
  $('phase').textContent = phase;
  $('ring').dataset.phase = phase;
  $('client-remaining').textContent = clock(remainingMs);
  $('ring-time').textContent = clock(remainingMs);
  const fraction = remainingMs === null || idleTimeoutMs === 0 ? 1 : Math.min(1, Math.max(0, remainingMs / idleTimeoutMs));
  $('ring-left').setAttribute('stroke-dasharray', `${RING_LENGTH * fraction} ${RING_LENGTH}`);
}

// Redraw on animation frames while visible; the browser pauses them in hidden tabs by itself.
function animate(): void {
  render();
  requestAnimationFrame(animate);
}

// The server's own view, once a second while the tab is visible. GET /session never extends the
// session, so this poll cannot keep anyone signed in.
async function pollServer(): Promise<void> {
  if (document.visibilityState === 'visible' && handle.getPhase() !== 'signed-out') {
    const response = await fetch('/session', { headers: { 'Idle-Logout-Background': '1' } }).catch(() => undefined);
    if (!response) $('server-remaining').textContent = 'unreachable';
    else if (response.status === 200) {
      const status = (await response.json()) as { remainingMs: number; idleTimeoutMs: number };
      idleTimeoutMs = status.idleTimeoutMs;
      $('server-remaining').textContent = clock(status.remainingMs);
      $('inactivity-notice').textContent = sdk.inactivityNotice(status.idleTimeoutMs, document.documentElement.lang || 'en');
    } else $('server-remaining').textContent = response.status === 401 ? 'signed out' : `error ${response.status}`;
  }
  setTimeout(pollServer, 1_000);
}

async function showSubject(): Promise<void> {
  const response = await fetch('/api/me', { headers: { 'Idle-Logout-Background': '1' } });
  if (response.ok) $('subject').textContent = ((await response.json()) as { subject: string }).subject;
}

handle.on('active', ({ remainingMs }) => log(`active — ${clock(remainingMs)} left`));
handle.on('keepalive', ({ remainingMs }) => log(`keepalive answered — server extended to ${clock(remainingMs)}`));
handle.on('warning', ({ remainingMs }) => log(`warning shown — ${clock(remainingMs)} left`));
handle.on('stay', ({ remainingMs }) => log(`stay signed in — ${clock(remainingMs)} left`));
handle.on('unreachable', () => {
  $('reachable').textContent = 'no — retrying';
  log("can't reach the server — retrying");
});
handle.on('reachable', () => {
  $('reachable').textContent = 'yes';
  log('server reachable again');
});
handle.on('signed-out', ({ reason }) => log(`signed out (${reason})`));

let lastActivityLogAt = 0;
for (const type of ['pointerdown', 'keydown', 'wheel'] as const) {
  addEventListener(
    type,
    () => {
      const now = Date.now();
      if (now - lastActivityLogAt < 2_000) return;
      lastActivityLogAt = now;
      log(`activity seen (${type})`);
    },
    { passive: true, capture: true },
  );
}

$('open-tab').addEventListener('click', () => window.open('/app', '_blank'));
$('sign-out').addEventListener('click', () => handle.signOut());

const sessions = mountSessionsPanel({
  list: $('sessions'),
  endOthers: $('end-others') as HTMLButtonElement,
  status: $('sessions-status'),
  log,
});
$('refresh-sessions').addEventListener('click', () => void sessions.refresh());

log('page loaded');
void sessions.refresh();
void showSubject();
void pollServer();
animate();
