// Shows why the last sign-in was refused (the server redirects here with ?error=…).
const messages: Record<string, string> = {
  'invalid-username': 'Enter a username of 1 to 64 letters, digits or _ . @ -',
  'store-full': 'The server cannot take more sessions right now. Try again later.',
};
const code = new URLSearchParams(location.search).get('error');
const box = document.getElementById('error')!;
if (code) {
  box.textContent = messages[code] ?? 'Sign-in failed. Try again.';
  box.hidden = false;
}
