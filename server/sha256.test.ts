import { describe, expect, it } from 'vitest';
import { SHA256_ONE_BLOCK_MAX, sha256OneBlock } from './sha256.ts';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function webCrypto(text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

describe('sha256OneBlock', () => {
  it('matches the FIPS 180-4 example and the empty string', () => {
    expect(hex(sha256OneBlock('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256OneBlock(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('matches Web Crypto for every length that fits one block, and for 2 000 random session-id-like strings', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_ !~';
    const random = (length: number) =>
      Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % alphabet.length]).join('');
    const inputs = [
      ...Array.from({ length: SHA256_ONE_BLOCK_MAX + 1 }, (_, length) => random(length)),
      ...Array.from({ length: 2_000 }, () => random(43)),
    ];
    for (const text of inputs) expect(hex(sha256OneBlock(text)), text).toBe(await webCrypto(text));
  });

  it('refuses what does not fit one block, or is not ASCII, instead of a wrong digest', () => {
    expect(() => sha256OneBlock('x'.repeat(56))).toThrow(RangeError);
    expect(() => sha256OneBlock('é')).toThrow(/ASCII/);
  });
});
