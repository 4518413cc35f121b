// A page that loads the script-tag file with <script src> and uses its global.
/// <reference types="idle-logout/global" />

const handle = IdleLogout.handle ?? IdleLogout.startIdleLogout({ endpoint: '/session', signedOutUrl: '/signed-out' });
handle.on('warning', ({ remainingMs }) => console.log(remainingMs));
export const phase: string = window.IdleLogout.handle?.getPhase() ?? 'none';
