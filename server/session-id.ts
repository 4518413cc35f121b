// Session ids and the keys stores file them under. Web standards only (crypto.getRandomValues,
// typed arrays), so this runs on Node, Bun, Deno and Workers alike.
import { sha256OneBlock } from './sha256.ts';

/** 32 random bytes: 256 bits, twice the 128-bit floor of OWASP / ASVS. */
const ID_BYTES = 32;
/** base64url of 32 bytes without padding is exactly 43 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_CODES = Array.from(BASE64URL, (character) => character.charCodeAt(0));
const ID_CODES: number[] = new Array<number>(43).fill(0); // reused: no awaits between filling and reading

/**
 * base64url without padding of 32 bytes (43 characters).
 *
 * One `String.fromCharCode` over the 43 codes, not `+=` per character: concatenation builds a
 * rope (a tree of string pieces) that every `Map.get` of the store key must flatten first, and
 * rope and lookup cost several µs per request with 100 000 sessions (bench/hot-path.ts).
 */
function toBase64Url(bytes: Uint8Array): string {
  let at = 0;
  for (let i = 0; i < 30; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    ID_CODES[at++] = BASE64URL_CODES[n >> 18]!;
    ID_CODES[at++] = BASE64URL_CODES[(n >> 12) & 63]!;
    ID_CODES[at++] = BASE64URL_CODES[(n >> 6) & 63]!;
    ID_CODES[at++] = BASE64URL_CODES[n & 63]!;
  }
  const n = (bytes[30]! << 8) | bytes[31]!; // the last 2 bytes: 16 bits → 3 characters
  ID_CODES[at++] = BASE64URL_CODES[n >> 10]!;
  ID_CODES[at++] = BASE64URL_CODES[(n >> 4) & 63]!;
  ID_CODES[at] = BASE64URL_CODES[(n << 2) & 63]!;
  return String.fromCharCode.apply(null, ID_CODES);
}

/** A fresh session id from the platform CSPRNG. */
export function newSessionId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

/** True when `value` has the shape of an id we issue; anything else is tampered or foreign. */
export function isWellFormedSessionId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * The handle a session is shown and ended by in its subject's list: base64url(SHA-256 of the
 * store key, domain-separated). Safe to show: it leads neither to the id (two preimages away) nor
 * to the store key, so a handle that leaks (a log, a screenshot) can neither be replayed as a
 * cookie nor address the record in the store; the server finds a handle's session only among
 * the subject's own.
 *
 * @example
 * sessionHandleFor(storeKeyFor(id)) // 43 base64url characters
 */
export function sessionHandleFor(storeKey: string): string {
  return toBase64Url(sha256OneBlock(`handle:${storeKey}`));
}

/**
 * The store key for a well-formed id: base64url(SHA-256(id)). Stores never see the id itself, so
 * a leaked store cannot be replayed as cookies.
 */
export function storeKeyFor(sessionId: string): string {
  return toBase64Url(sha256OneBlock(sessionId));
}
