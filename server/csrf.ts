// Where a request comes from: whether an unsafe one may go on (CSRF), and whether it counts as
// the user's activity on this site. Both judge the same headers against the same origins.

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/**
 * Whether the browser reached us over https: the request URL's scheme, or, only when the app
 * names one, the scheme its TLS-terminating proxy reports in `trustedProtoHeader` (the first
 * value of a list, the one the browser-facing proxy wrote, as Express's `req.protocol` reads it).
 */
export function isHttps(request: Request, trustedProtoHeader: string | undefined): boolean {
  if (trustedProtoHeader !== undefined) {
    const forwarded = forwardedProto(request, trustedProtoHeader);
    if (forwarded !== undefined) return forwarded === 'https';
  }
  return request.url.startsWith('https:');
}

function forwardedProto(request: Request, header: string): 'http' | 'https' | undefined {
  const value = request.headers.get(header);
  if (value === null) return undefined;
  const comma = value.indexOf(',');
  const first = (comma === -1 ? value : value.slice(0, comma)).trim().toLowerCase();
  return first === 'https' || first === 'http' ? first : undefined;
}

/** The origin the browser sees for this request (the scheme as `isHttps` decides it). */
export function publicOrigin(request: Request, trustedProtoHeader: string | undefined): string {
  const url = new URL(request.url);
  const scheme = isHttps(request, trustedProtoHeader) ? 'https' : 'http';
  // Through the URL parser again so a default port (:443, :80) drops as the browser drops it.
  return scheme === url.protocol.slice(0, -1) ? url.origin : new URL(`${scheme}://${url.host}`).origin;
}

export interface OriginCheck {
  crossSiteRefusal(request: Request): string | undefined;
  madeOnThisSite(request: Request): boolean;
}

/** Where an unsafe request is judged: the protocol's POST routes, `requireSameOrigin`, the middleware, sign-in. */
export type CsrfCheckpoint = 'protocol-route' | 'require-same-origin' | 'middleware' | 'sign-in';

export interface CsrfPolicy {
  /** The `csrf` option: also guard the app's own routes and sign-in. */
  csrf: boolean;
  origins: OriginCheck;
}

/**
 * The CSRF policy in one decision: why `request` must be refused as cross-site, or undefined.
 * Safe methods always pass. The protocol's POST routes and `requireSameOrigin` check every unsafe
 * request. With the `csrf` option on, so does sign-in (login CSRF: another site must not sign the
 * browser in to the attacker's account), and the middleware checks the unsafe requests that carry
 * the session cookie — only those can be forged with it; a webhook or another server's request
 * without it is not ours to refuse.
 *
 * @example
 * csrfRefusal({ csrf: true, origins }, c.req.raw, 'middleware', cookies.count > 0) // undefined, or why
 */
export function csrfRefusal(policy: CsrfPolicy, request: Request, checkpoint: CsrfCheckpoint, carriesSession = false): string | undefined {
  if (!isUnsafeMethod(request.method)) return undefined;
  const checked = checkpoint === 'middleware' ? policy.csrf && carriesSession : checkpoint === 'sign-in' ? policy.csrf : true;
  return checked ? policy.origins.crossSiteRefusal(request) : undefined;
}

/**
 * The origin checks for one configuration: `allowedOrigins`, or by default the request's own
 * public origin.
 *
 * @example
 * const origins = createOriginCheck(undefined, 'x-forwarded-proto');
 * origins.crossSiteRefusal(c.req.raw); // undefined, or why the request is refused
 */
export function createOriginCheck(allowedOrigins: readonly string[] | undefined, trustedProtoHeader: string | undefined): OriginCheck {
  const isAllowed = (request: Request, origin: string) =>
    allowedOrigins ? allowedOrigins.includes(origin) : origin === publicOrigin(request, trustedProtoHeader);
  // A page of another origin of this site (app.example.com calling api.example.com) is ours only
  // when the app lists it in allowedOrigins: a sibling may be someone else's (user content, a
  // forgotten host). Without a list there is no sibling to trust.
  const isAllowedSibling = (request: Request, site: string) => {
    const origin = request.headers.get('origin');
    return site === 'same-site' && origin !== null && allowedOrigins !== undefined && allowedOrigins.includes(origin);
  };

  return {
    /**
     * Why an unsafe request must be refused as cross-site, or undefined when it may go on.
     *
     * Hono's built-in `csrf()` only looks at form content types, so a JSON POST from another site
     * passes it. Here every unsafe request is judged by Fetch Metadata first (`Sec-Fetch-Site`,
     * sent by all current browsers to https and localhost): same-origin passes, same-site only
     * with an allowed `Origin`, anything else is refused, whatever its `Origin` says. The rest are
     * judged by `Origin`; a request with neither is refused, as OWASP's CSRF cheat sheet advises
     * for state changes.
     */
    crossSiteRefusal(request: Request): string | undefined {
      const site = request.headers.get('sec-fetch-site');
      if (site === 'same-origin') return undefined; // nearly every request: no other header to read
      const origin = request.headers.get('origin');
      if (site !== null) {
        if (isAllowedSibling(request, site)) return undefined;
        return site === 'same-site'
          ? `Sec-Fetch-Site is "same-site" from ${origin ?? 'an unknown origin'}; if that is your app's page, add its origin to allowedOrigins.`
          : `Sec-Fetch-Site is "${site}"; only this origin's pages, or pages of this site in allowedOrigins, may send this request.`;
      }
      if (origin === null) return 'The request has neither Sec-Fetch-Site nor Origin, so its origin cannot be checked.';
      return isAllowed(request, origin) ? undefined : `Origin ${origin} is not allowed to send this request.`;
    },

    /**
     * Whether the user made this request on this site, so that it may count as activity. Another
     * site can make a browser send the cookie (a top-level navigation under SameSite=Lax, a link,
     * a form) as often as it likes; that must not keep a session alive.
     * - `Sec-Fetch-Site: same-origin`: yes. `none` on a navigation (typed URL, bookmark, the
     *   browser's own UI): yes, no page can cause it; `none` on anything else (an extension's
     *   fetch): no. `same-site`: only with an `Origin` in allowedOrigins (the app's own pages on a
     *   sibling host; no other sibling, and a navigation, which sends no `Origin`, never).
     *   `cross-site`: no.
     * - No Fetch Metadata (plain http to a non-localhost host, where browsers omit it; older
     *   browsers): yes only with an allowed `Origin`, or else a `Referer` from an allowed origin.
     */
    madeOnThisSite(request: Request): boolean {
      const site = request.headers.get('sec-fetch-site');
      if (site !== null) {
        return site === 'same-origin' || isAllowedSibling(request, site) || (site === 'none' && request.headers.get('sec-fetch-mode') === 'navigate');
      }
      const origin = request.headers.get('origin');
      if (origin !== null) return isAllowed(request, origin);
      const referer = request.headers.get('referer');
      return referer !== null && URL.canParse(referer) && isAllowed(request, new URL(referer).origin);
    },
  };
}
