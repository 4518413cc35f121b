// Setup 3: react-idle-timer 5.7 in a React 19 app, as a typical app uses it: `useIdleTimer` in a
// rendered component with its defaults (default events on document, eventsThrottle 200 ms, no
// debounce/throttle of onAction, crossTab false) and an app-sized timeout.
// Plain JavaScript: the project has no @types/react, and this file is only bundled, never imported.
import { createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { useIdleTimer } from 'react-idle-timer';

let resolveReady;
window.benchHarness.ready = new Promise((resolve) => (resolveReady = resolve));
let timer;
let lastActiveWhenReady = 0;

function App() {
  timer = useIdleTimer({ timeout: 5 * 60_000, onIdle: () => console.log('idle') });
  useEffect(() => {
    lastActiveWhenReady = timer.getLastActiveTime()?.getTime() ?? 0;
    resolveReady();
  }, []);
  return createElement('p', null, 'react-idle-timer bench');
}

createRoot(document.getElementById('root')).render(createElement(App));

window.benchHarness.check = async () => {
  const lastActive = timer.getLastActiveTime();
  const at = lastActive ? lastActive.getTime() : 0;
  return {
    ok: at > lastActiveWhenReady,
    detail: `getLastActiveTime() ${at ? `${Date.now() - at} ms ago` : 'null'} (was ${lastActiveWhenReady ? `${Date.now() - lastActiveWhenReady} ms ago` : 'null'} when mounted), idle ${timer.isIdle()}`,
  };
};
