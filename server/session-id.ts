// Session ids and the keys stores file them under. Web Crypto only, so this runs on Node, Bun,
// Deno and Workers alike.

/** 32 random bytes: 256 bits, twice the 128-bit floor of OWASP / ASVS. */
const ID_BYTES = 32;
/** base64url of 32 bytes without padding is exactly 43 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh session id from the platform CSPRNG. */
export function newSessionId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

/** True when `value` has the shape of an id we issue; anything else is tampered or foreign. */
export function isWellFormedSessionId(value: string): boolean {
  return ID_PATTERN.test(value);
}

const encoder = new TextEncoder();

/** The store key for an id: base64url(SHA-256(id)). Stores never see the id itself. */
export async function storeKeyFor(sessionId: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(sessionId));
  return toBase64Url(new Uint8Array(digest));
}
