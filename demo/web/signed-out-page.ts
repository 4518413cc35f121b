// Says why the user was signed out (the SDK adds ?reason=idle|user|server|revoked) and whether the
// draft in the textarea was kept for the next sign-in (?kept=<fields saved>).
const reasons: Record<string, string> = {
  idle: 'You were signed out because you were inactive for too long.',
  user: 'You signed out.',
  server: 'The server ended your session.',
  revoked: 'You were signed out from another device or by an administrator.',
};
const query = new URLSearchParams(location.search);
const reason = query.get('reason') ?? '';
document.getElementById('reason')!.textContent = reasons[reason] ?? 'You are signed out.';
document.getElementById('work')!.textContent =
  Number(query.get('kept') ?? 0) > 0
    ? 'Your unsaved text was kept on this device. It will be back after you sign in again.'
    : 'There was no unsaved text to keep.';
