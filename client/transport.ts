// The wire protocol (docs/protocol.md) over fetch, reduced to what the core needs: live (with the
// schedule), signed out (401; ended elsewhere when its code says so), refused (another 4xx: a configuration error, with the body's `error`
// and `message`), or unreachable (network error, 503, anything else: retry later).
import { encodeKeepaliveBody, parseStatusBody, STATUS_PATH, KEEPALIVE_PATH, LOGOUT_PATH } from '../protocol/index.ts';
import type { ServerResult } from './core.ts';

export interface Transport {
  status(): Promise<ServerResult>;
  keepalive(idleMs: number): Promise<ServerResult>;
  logout(): Promise<ServerResult>;
}

/**
 * `credentials` is fetch's: 'same-origin' sends the cookie only to this page's origin; 'include'
 * also to an API on another origin (which must answer CORS with credentials, see the README).
 *
 * @example
 * const transport = fetchTransport('/session', fetch);
 * const result = await transport.keepalive(1250);
 * fetchTransport('https://api.example.com/session', fetch, 'include'); // the API on a sibling host
 */
export function fetchTransport(endpoint: string, fetchImpl: typeof fetch, credentials: RequestCredentials = 'same-origin'): Transport {
  const base = endpoint.replace(/\/+$/, '');
  const call = async (path: string, init: RequestInit): Promise<ServerResult> => {
    try {
      const response = await fetchImpl(base + path, {
        credentials,
        cache: 'no-store',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        ...init,
      });
      const { status } = response;
      if (status >= 400 && status < 500) {
        const body = (await response.json().catch(() => null)) as { error?: unknown; message?: unknown } | null;
        const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
        const error = text(body?.error);
        // 401 `session-revoked` / `session-replaced` (no other code starts so): ended elsewhere, not by time.
        if (status === 401) return { type: 'signed-out', revoked: /^session-re/.test(error!) || undefined };
        return { type: 'refused', status, error, message: text(body?.message) };
      }
      if (!response.ok) return { type: 'unreachable', status };
      if (path === LOGOUT_PATH) return { type: 'signed-out' };
      return parseStatusBody(await response.json()) ?? { type: 'unreachable', status }; // not our protocol: never success
    } catch {
      return { type: 'unreachable', status: 0 };
    }
  };
  return {
    status: () => call(STATUS_PATH, { method: 'GET' }),
    keepalive: (idleMs) => call(KEEPALIVE_PATH, { method: 'POST', body: encodeKeepaliveBody(idleMs) }),
    // keepalive: true lets the request finish if the page is navigating away or closing.
    logout: () => call(LOGOUT_PATH, { method: 'POST', body: '{}', keepalive: true }),
  };
}
