// SHA-256 of a short ASCII string (one 64-byte block: at most 55 characters), synchronously.
//
// Why not Web Crypto: `crypto.subtle.digest` is asynchronous and, in Node, runs as a job on the
// libuv thread pool — about 50 µs per call under load against 2.3 µs for this, on the hot path of
// every request (bench/server.ts, `node --cpu-prof`). Session ids are always 43 characters, so
// one block is all we ever hash. Tested against Web Crypto in sha256.test.ts.

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2).
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
// The initial hash value: square roots of the first 8 primes (§5.3.3).
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64); // the message schedule, reused: this function is not re-entrant-sensitive (no awaits)
const DIGEST = new Uint8Array(32);

/** The largest input that fits one block with its padding (1 byte 0x80 + 8 length bytes). */
export const SHA256_ONE_BLOCK_MAX = 55;

/** SHA-256 of `text` (ASCII, at most 55 characters) as 32 bytes. The result is reused: copy it to keep it. */
export function sha256OneBlock(text: string): Uint8Array {
  const length = text.length;
  if (length > SHA256_ONE_BLOCK_MAX) throw new RangeError(`sha256OneBlock hashes at most ${SHA256_ONE_BLOCK_MAX} characters, got ${length}`);
  // Four characters to a big-endian word, then the padding: 0x80 after the text, zeros, the length.
  let i = 0;
  for (; i + 4 <= length; i += 4) W[i >> 2] = (ascii(text, i) << 24) | (ascii(text, i + 1) << 16) | (ascii(text, i + 2) << 8) | ascii(text, i + 3);
  let last = 0;
  for (let shift = 24; i < length; i++, shift -= 8) last |= ascii(text, i) << shift;
  W[i >> 2] = last | (0x80 << (24 - 8 * (length & 3)));
  for (let word = (i >> 2) + 1; word < 15; word++) W[word] = 0;
  W[15] = length * 8;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H0[0]!, b = H0[1]!, c = H0[2]!, d = H0[3]!, e = H0[4]!, f = H0[5]!, g = H0[6]!, h = H0[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  // Into the digest word by word: no array per call (this runs on every request).
  writeWord(0, a + H0[0]!);
  writeWord(1, b + H0[1]!);
  writeWord(2, c + H0[2]!);
  writeWord(3, d + H0[3]!);
  writeWord(4, e + H0[4]!);
  writeWord(5, f + H0[5]!);
  writeWord(6, g + H0[6]!);
  writeWord(7, h + H0[7]!);
  return DIGEST;
}

/** The code of `text[i]`, which must be ASCII. */
function ascii(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code > 0x7f) throw new RangeError('sha256OneBlock hashes ASCII text only');
  return code;
}

/** Writes a 32-bit word big-endian as the digest's `index`th word. */
function writeWord(index: number, word: number): void {
  DIGEST[index * 4] = word >>> 24;
  DIGEST[index * 4 + 1] = word >>> 16;
  DIGEST[index * 4 + 2] = word >>> 8;
  DIGEST[index * 4 + 3] = word;
}
