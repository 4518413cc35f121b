// An app bundled by Vite: the npm client, plus the script-tag file imported for its side effect.
import { startIdleLogout, inactivityNotice } from 'idle-logout/client';
import 'idle-logout/idle-logout.iife.js';

const idle = startIdleLogout({ endpoint: '/session', signedOutUrl: '/signed-out' });
idle.on('warning', ({ remainingMs }) => console.log(remainingMs));
document.title = inactivityNotice(300_000, 'en');
