import { describe, expect, it } from 'vitest';
import { isWellFormedSessionId, newSessionId, storeKeyFor } from './session-id.ts';

function webCryptoBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

describe('session ids', () => {
  it('are 43 base64url characters (256 bits) and never repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newSessionId()));
    expect(ids.size).toBe(10_000);
    for (const id of ids) expect(isWellFormedSessionId(id)).toBe(true);
  });

  it('use every base64url character, so all 256 bits carry randomness', () => {
    const seen = new Set(Array.from({ length: 2_000 }, () => newSessionId()).join(''));
    expect(seen.size).toBe(64);
  });

  it('refuse anything else as not well formed', () => {
    for (const value of ['', 'a'.repeat(42), 'a'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}+`, `${'a'.repeat(42)}é`]) {
      expect(isWellFormedSessionId(value)).toBe(false);
    }
  });

  it('are filed under base64url(SHA-256(id)), as Web Crypto computes it', async () => {
    for (let i = 0; i < 200; i++) {
      const id = newSessionId();
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id));
      expect(storeKeyFor(id)).toBe(webCryptoBase64Url(digest));
    }
  });
});
