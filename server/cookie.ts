// The session cookie: its name and attributes in one place, so setting, clearing and reading it
// can never drift apart (oslo's CookieController is the model).
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { forbidCaching } from './answers.ts';
import { requestMemo } from './request-memo.ts';
import { isWellFormedSessionId } from './session-id.ts';

/**
 * At most this many cookies of our name are looked up per request. Browsers send one per
 * (domain, path) that matches, so more than a few means someone planted them; each costs a store
 * call, so the rest are ignored.
 */
const MAX_SESSION_COOKIES = 4;

/** What a request carries under the session cookie's name. */
export interface SessionCookies {
  /** The distinct well-formed ids among the values, in the order sent (at most MAX_SESSION_COOKIES). */
  ids: string[];
  /** How many non-empty values of the name were sent, well-formed or not. */
  count: number;
}

/**
 * Every non-empty value of the cookies called `name` in a `Cookie` header, in order.
 *
 * Why not hono/cookie's `getCookie`: it parses and URI-decodes every cookie on the request, and
 * was the largest single cost of the keepalive route in bench/server.ts (`node --cpu-prof`). Our
 * session ids are base64url, which needs no decoding, so one scan for one name is enough. And it
 * keeps only the first of several cookies with one name, which is what cookie tossing exploits.
 *
 * @example
 * cookieValues('theme=dark; idle_session=abc; idle_session=def', 'idle_session') // ['abc', 'def']
 */
export function cookieValues(header: string | undefined | null, name: string): string[] {
  const values: string[] = [];
  if (!header) return values;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    let at = start;
    while (header.charCodeAt(at) === 32 /* space */) at++;
    if (header.startsWith(name, at) && header.charCodeAt(at + name.length) === 61 /* = */) {
      const value = header.slice(at + name.length + 1, end).trim();
      if (value !== '') values.push(value);
    }
    start = end + 1;
  }
  return values;
}

export interface SessionCookieSettings {
  name: string;
  sameSite: 'Lax' | 'Strict';
  /** Whether this request reached the browser over https (Secure and the `__Host-`/`__Secure-` prefix). */
  isSecure: (c: Context) => boolean;
  /** `Domain`, to share the cookie with the site's other hosts (validated in options.ts). Default: host-only. */
  domain?: string;
}

/** The session cookie's one controller: read, write and clear share its name and attributes. */
export interface SessionCookie {
  read(c: Context): SessionCookies;
  write(c: Context, id: string): void;
  clear(c: Context): void;
}

/**
 * Reads, sets and clears the session cookie. Responses that set or clear it are marked
 * `Cache-Control: no-store` (see `forbidCaching`).
 *
 * @example
 * const cookie = createSessionCookie({ name: 'idle_session', sameSite: 'Lax', isSecure: () => true, domain: 'example.com' });
 * cookie.write(c, newSessionId());
 */
export function createSessionCookie(settings: SessionCookieSettings): SessionCookie {
  const { domain } = settings;
  const attributes = { httpOnly: true, sameSite: settings.sameSite, path: '/', ...(domain ? { domain } : {}) } as const;
  // On https: Secure and the `__Host-` prefix, which no other host can set (cookie tossing). A
  // `__Host-` cookie must have no Domain (RFC 6265bis 4.1.3.2), so with one it is `__Secure-`:
  // still only settable over https, but any host of the domain can set one of that name (the
  // lookup then sees two and finds the live one, see find-session.ts).
  const prefix = domain ? ('secure' as const) : ('host' as const);
  const securePrefix = domain ? '__Secure-' : '__Host-';
  const attributesFor = (c: Context) => (settings.isSecure(c) ? { ...attributes, secure: true, prefix } : attributes);
  // The middleware and the route both read it: parse each request's header once.
  const memo = requestMemo<SessionCookies>(`cookies:${settings.name}`);
  return {
    read(c: Context): SessionCookies {
      let cookies = memo.recall(c);
      if (cookies === undefined) {
        const name = settings.isSecure(c) ? securePrefix + settings.name : settings.name;
        const values = cookieValues(c.req.raw.headers.get('cookie'), name);
        // The same id twice (set again under another path, say) is one session, not two. One
        // value, as nearly every request has, needs no set.
        const ids =
          values.length === 1
            ? values.filter(isWellFormedSessionId)
            : [...new Set(values.filter(isWellFormedSessionId))].slice(0, MAX_SESSION_COOKIES);
        cookies = { ids, count: values.length };
        memo.remember(c, cookies);
      }
      return cookies;
    },
    // No Max-Age or Expires: the server enforces time; the cookie lasts the browser session.
    write(c: Context, id: string): void {
      forbidCaching(c);
      setCookie(c, settings.name, id, attributesFor(c));
    },
    clear(c: Context): void {
      forbidCaching(c);
      deleteCookie(c, settings.name, attributesFor(c));
    },
  };
}
