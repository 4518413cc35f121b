// Which session a request's cookies name, read or extended in one store call.
import type { Context } from 'hono';
import type { SessionCookies } from './cookie.ts';
import type { SessionParts } from './parts.ts';
import { proposedIdleDeadline } from './session.ts';
import { storeKeyFor } from './session-id.ts';
import { liveRecord, type RemovalMark, type SessionRecord } from './store.ts';

/** Why a request has no session: no cookie, a malformed one, none live, or several live. */
export type SignedOutReason = 'none' | 'invalid' | 'unknown' | 'ambiguous';

/**
 * What `findSession` found. `endedBy`: for the one cookie of a request naming a session that is
 * gone, the mark the store kept when it was ended elsewhere (`revoked`, `replaced`), read with the miss.
 */
export type SessionLookup = { kind: SignedOutReason; endedBy?: RemovalMark } | { kind: 'live'; key: string; record: SessionRecord };

/**
 * The session the cookies name; with `idleMs`, extended as a keepalive would (one store call,
 * which on a miss also answers the removal mark).
 *
 * Several cookies of our name reach us when another host on the parent domain, or anyone on
 * plain http, planted one beside ours ("cookie tossing"; browsers send the longer path first).
 * Then each well-formed one is looked up and only a single live one is the user's: a planted
 * malformed or dead cookie cannot hide it, and two live ones (the attacker's own session next
 * to the victim's) are trusted neither way.
 *
 * @example
 * const found = await findSession(parts, parts.cookie.read(c), 0); // extends, like a keepalive with idleMs 0
 */
export async function findSession(parts: SessionParts, cookies: SessionCookies, idleMs?: number): Promise<SessionLookup> {
  const { store, now } = parts;
  if (cookies.ids.length === 0) return { kind: cookies.count === 0 ? 'none' : 'invalid' };
  let key = storeKeyFor(cookies.ids[0]!);
  if (cookies.ids.length > 1) {
    const at = now();
    const found = await Promise.all(
      cookies.ids.map(async (id) => {
        const candidate = storeKeyFor(id);
        const record = liveRecord(await store.get(candidate, at));
        return record && { key: candidate, record };
      }),
    );
    const live = found.filter((entry) => entry !== undefined);
    if (live.length !== 1) return { kind: live.length === 0 ? 'unknown' : 'ambiguous' };
    if (idleMs === undefined) return { kind: 'live', ...live[0]! };
    key = live[0]!.key;
  }
  const at = now();
  const found = await (idleMs === undefined
    ? store.get(key, at)
    : store.extend(key, proposedIdleDeadline(at, idleMs, parts.schedule.idleTimeoutMs), at));
  if (found === undefined) return { kind: 'unknown' };
  // With several cookies (some maybe planted) the answer stays the plain "unknown": a mark speaks
  // for the request's one cookie only.
  if ('endedBy' in found) return cookies.ids.length === 1 ? { kind: 'unknown', endedBy: found.endedBy } : { kind: 'unknown' };
  return { kind: 'live', key, record: found };
}

/**
 * Whether a signed-out answer may clear the cookie. A clearing Set-Cookie hits the cookie this
 * host set (host-only, Path=/), so it is sent only when that is the one cookie of our name on
 * the request: with several, the dead or malformed one may be a planted one, and clearing would
 * delete the user's real session cookie instead.
 */
export function mayClearCookie(why: SignedOutReason, cookies: SessionCookies): boolean {
  return (why === 'invalid' || why === 'unknown') && cookies.count === 1;
}

/**
 * Clears the cookie of a signed-out request when `mayClearCookie` allows it and the session was
 * not ended elsewhere: that cookie stays while the store keeps its mark, so that every tab's
 * status check hears why (`session-revoked`), not only the first request that got an answer.
 */
export function clearDeadCookie(parts: SessionParts, c: Context, found: SessionLookup, cookies: SessionCookies): void {
  if (found.kind === 'live' || found.endedBy !== undefined || !mayClearCookie(found.kind, cookies)) return;
  parts.cookie.clear(c);
}
