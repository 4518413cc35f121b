import { MAX_KEEPALIVE_BYTES, parseKeepaliveBody, type KeepaliveBody } from '../protocol/index.ts';

/**
 * A keepalive request's body: `idleMs`, or the protocol error that says what is wrong with it.
 *
 * @example
 * const body = await readKeepaliveBody(c.req.raw);
 * if ('error' in body) return errorAnswer(c, body.error, body.message);
 */
export async function readKeepaliveBody(
  request: Request,
): Promise<KeepaliveBody | { error: 'body-too-large' | 'invalid-json' | 'invalid-body'; message?: string }> {
  const body = await readBoundedText(request, MAX_KEEPALIVE_BYTES);
  return body.kind === 'too-large' ? { error: 'body-too-large' } : parseKeepaliveBody(body.text);
}

/** The outcome of reading a request body with a size limit. */
export type BoundedBody = { kind: 'text'; text: string } | { kind: 'too-large' };

/**
 * Reads at most `maxBytes` of the body. `Content-Length` is checked first so an honest oversized
 * request costs nothing; a chunked one (no length) is counted while it streams and cut off past
 * the limit.
 */
export async function readBoundedText(request: Request, maxBytes: number): Promise<BoundedBody> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return { kind: 'too-large' };
  // A declared length within the limit is enforced by HTTP framing: read it in one go. This skips
  // the web ReadableStream that `body.getReader()` makes @hono/node-server build for every request
  // (about a quarter of the keepalive route's CPU in bench/server.ts).
  if (declared !== null) return { kind: 'text', text: await request.text() };
  if (request.body === null) return { kind: 'text', text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => {});
      return { kind: 'too-large' };
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return { kind: 'text', text: decoder.decode(chunks[0]) };
  const joined = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { kind: 'text', text: decoder.decode(joined) };
}

const decoder = new TextDecoder();
