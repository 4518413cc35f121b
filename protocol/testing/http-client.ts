// A `fetch` for the conformance checks that sends exactly the headers it is given, over node:http.
// Node's own fetch (undici) writes `Sec-Fetch-Mode: cors` over whatever the caller set, so through
// it no request can say it is a navigation, which decides whether a request counts as activity
// (docs/protocol.md, "Activity"). It also adds Accept-Language, User-Agent and others a browser
// request may not have; this client adds only Host, Connection and the body's framing.
import { request } from 'node:http';

/**
 * Sends `init` to `url` as written: a string body with its Content-Length, a stream chunked.
 *
 * @example
 * await runConformance({ origin, fetch: fetchOverHttp });
 */
export function fetchOverHttp(url: string, init: RequestInit): Promise<Response> {
  const headers = Object.fromEntries(new Headers(init.headers));
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof ReadableStream)) {
    return Promise.reject(new TypeError('fetchOverHttp sends string or stream bodies only'));
  }
  if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: init.method ?? 'GET', headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const answerHeaders = new Headers();
        for (let at = 0; at < incoming.rawHeaders.length; at += 2) answerHeaders.append(incoming.rawHeaders[at]!, incoming.rawHeaders[at + 1]!);
        const status = incoming.statusCode ?? 0;
        // A Response with these statuses (or to HEAD) cannot have a body, even an empty one.
        const bodyless = [204, 205, 304].includes(status) || init.method === 'HEAD';
        resolve(new Response(bodyless ? null : Buffer.concat(chunks), { status, headers: answerHeaders }));
      });
    });
    outgoing.on('error', reject);
    if (body instanceof ReadableStream) void pipeStream(body, outgoing).catch(reject);
    else outgoing.end(body ?? undefined);
  });
}

async function pipeStream(body: ReadableStream<Uint8Array>, outgoing: ReturnType<typeof request>): Promise<void> {
  for await (const chunk of body) outgoing.write(chunk);
  outgoing.end();
}
