// Sign-in and sign-out, for the logout route and for app code.
import type { Context } from 'hono';
import { errorException, storeFailureCode } from './answers.ts';
import { csrfRefusal } from './csrf.ts';
import type { SessionParts } from './parts.ts';
import { activeSession, endReason, newSessionRecord, type ActiveSession } from './session.ts';
import { removalReporter } from './session-control.ts';
import { newSessionId, storeKeyFor } from './session-id.ts';
import type { SessionDisplay, SessionRecord } from './store.ts';

/** What `signIn` takes besides the subject and data. */
export interface SignInOptions {
  /** What the user's list of sessions shows for this one (device, browser), e.g. `{ device: 'Firefox on Linux' }`. */
  display?: SessionDisplay;
}

/**
 * Deletes every session the request carried (whoever presents an id may end it, and a planted
 * one must not outlive a sign-in beside the new session); clears the cookie either way.
 * Throws the store's error when it cannot answer.
 */
export async function endSessionsOf(parts: SessionParts, c: Context): Promise<void> {
  // Only once the store has answered: a 503 must not look like a sign-out to the browser.
  if (await endCarriedSessions(parts, c)) parts.cookie.clear(c);
}

/** Deletes every session the request carried; says whether it carried a session cookie at all. */
async function endCarriedSessions(parts: SessionParts, c: Context): Promise<boolean> {
  const cookies = parts.cookie.read(c);
  await Promise.all(cookies.ids.map((id) => endSession(parts, storeKeyFor(id))));
  return cookies.count > 0;
}

/** Deletes one session and reports its end (once: only the caller that removed it sees it). */
async function endSession(parts: SessionParts, key: string): Promise<void> {
  // The reason is fixed when the user asks: a sign-out whose answer comes after the bound
  // is still a sign-out, reported once, when the answer arrives.
  const at = parts.now();
  const report = (removed: SessionRecord | undefined) => {
    if (removed) parts.reportEnded(removed, endReason(removed, at), parts.now());
  };
  report(await parts.store.delete(key, report));
}

/**
 * `idle.signIn`: ends any session the request carried (no fixation), creates a new one with a
 * fresh id and sets the cookie on `c`; past `maxSessionsPerSubject`, the store replaces the
 * subject's oldest in the same step (no extra round trip). Throws the protocol's 403 (login
 * CSRF) or 503 as an `HTTPException`.
 */
export async function signIn(parts: SessionParts, c: Context, subject: string, data?: unknown, options: SignInOptions = {}): Promise<ActiveSession> {
  if (typeof subject !== 'string' || subject === '') throw new TypeError('idle-logout: signIn needs a non-empty subject string');
  const refusal = csrfRefusal(parts.csrf, c.req.raw, 'sign-in');
  if (refusal !== undefined) throw errorException('csrf', { message: refusal });
  let carriedEnded = false;
  try {
    // The old cookie is not cleared first: the new one replaces it (same name and attributes), in
    // one Set-Cookie rather than a deletion and then the cookie.
    carriedEnded = await endCarriedSessions(parts, c);
    const id = newSessionId();
    const at = parts.now();
    const record = newSessionRecord(subject, data, at, parts.schedule, options.display);
    const report = removalReporter(parts, 'replaced', at);
    report(await parts.store.create(storeKeyFor(id), record, parts.maxSessionsPerSubject, report));
    parts.cookie.write(c, id);
    const session = activeSession(record, at);
    c.set('getSession', () => Promise.resolve(session));
    c.set('session', session);
    return session;
  } catch (error) {
    // The sessions it carried are gone but no new one was made: the browser forgets the old id.
    if (carriedEnded) parts.cookie.clear(c);
    throw errorException(storeFailureCode(error), { cause: error });
  }
}

/** `idle.signOut`: the same as `POST {base}/logout`, from app code; throws the protocol's 503. */
export async function signOut(parts: SessionParts, c: Context): Promise<void> {
  try {
    await endSessionsOf(parts, c);
  } catch (error) {
    throw errorException(storeFailureCode(error), { cause: error });
  }
  c.set('getSession', () => Promise.resolve(null));
  c.set('session', undefined);
}
