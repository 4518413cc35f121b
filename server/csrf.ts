/**
 * Why an unsafe request must be refused as cross-site, or undefined when it may go on.
 *
 * Hono's built-in `csrf()` only looks at form content types, so a JSON POST from another site
 * passes it. Here every unsafe request is judged by Fetch Metadata first (`Sec-Fetch-Site`, sent
 * by all current browsers), then by `Origin` for older ones; a request with neither is refused,
 * as OWASP's CSRF cheat sheet advises for state-changing requests.
 */
export function crossSiteRefusal(request: Request, allowedOrigins: readonly string[] | undefined): string | undefined {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) {
    return site === 'same-origin' ? undefined : `Sec-Fetch-Site is "${site}"; only same-origin pages may send this request.`;
  }
  const origin = request.headers.get('origin');
  if (origin === null) return 'The request has neither Sec-Fetch-Site nor Origin, so its origin cannot be checked.';
  const allowed = allowedOrigins ?? [new URL(request.url).origin];
  return allowed.includes(origin) ? undefined : `Origin ${origin} is not allowed to send this request.`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method);
}
