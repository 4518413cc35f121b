/**
 * The value of the first cookie called `name` in a `Cookie` header, or undefined.
 *
 * Why not hono/cookie's `getCookie`: it parses and URI-decodes every cookie on the request, and
 * was the largest single cost of the keepalive route in bench/server.ts (`node --cpu-prof`). Our
 * session ids are base64url, which needs no decoding, so one scan for one name is enough.
 *
 * @example
 * cookieValue('theme=dark; idle_session=abc', 'idle_session') // 'abc'
 */
export function cookieValue(header: string | undefined | null, name: string): string | undefined {
  if (!header) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    let at = start;
    while (header.charCodeAt(at) === 32 /* space */) at++;
    if (header.startsWith(name, at) && header.charCodeAt(at + name.length) === 61 /* = */) {
      return header.slice(at + name.length + 1, end).trim();
    }
    start = end + 1;
  }
  return undefined;
}
