// A happy-dom page as this realm's `window` and `document`, for tests that render into the realm
// (React's createRoot) while the server app they talk to runs on Node's own fetch classes.
// Vitest's happy-dom environment replaces Request, Response and Headers too, and happy-dom's drop
// the headers a browser sets itself (Cookie, Sec-Fetch-Site) and lack getSetCookie(), so the real
// server (client/testing/server.ts) would see no session. Here the page's names are added only
// where Node has none: Node's fetch classes, URL, Event and timers stay.
import { Window } from 'happy-dom';

/**
 * Installs the page; returns it. Call before importing a library that checks for a DOM at load
 * (react-dom does): from `vi.hoisted`.
 *
 * @example
 * const page = await vi.hoisted(async () => (await import('./testing/page-globals.ts')).installPageGlobals());
 */
export function installPageGlobals(url = 'https://app.test/page'): Window {
  const page = new Window({ url });
  const globals = globalThis as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(page)) {
    if (name in globalThis || name.startsWith('_')) continue;
    const value = (page as unknown as Record<string, unknown>)[name];
    globals[name] = typeof value === 'function' && !/^[A-Z]/.test(name) ? value.bind(page) : value;
  }
  globals.window = page;
  globals.document = page.document;
  return page;
}
