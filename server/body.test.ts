import { describe, expect, it } from 'vitest';
import { readBoundedText } from './body.ts';

function streamOf(chunks: string[]): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[pulled++]));
      else controller.close();
    },
  });
  return { body, pulled: () => pulled };
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://localhost/', { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);

describe('readBoundedText', () => {
  it('refuses a declared length over the limit without reading the body', async () => {
    const { body, pulled } = streamOf(['x'.repeat(2000)]);
    expect(await readBoundedText(post(body, { 'Content-Length': '2000' }), 1024)).toEqual({ kind: 'too-large' });
    expect(pulled()).toBeLessThanOrEqual(1); // at most what the Request constructor buffers
  });

  it('reads a declared length within the limit in one go', async () => {
    expect(await readBoundedText(post('{"idleMs":5}', { 'Content-Length': '12' }), 1024)).toEqual({ kind: 'text', text: '{"idleMs":5}' });
  });

  it('counts a body without a length while it streams, across chunks, and stops past the limit', async () => {
    expect(await readBoundedText(post(streamOf(['{"idle', 'Ms":', '7}']).body), 1024)).toEqual({ kind: 'text', text: '{"idleMs":7}' });
    const long = streamOf(Array.from({ length: 10 }, () => 'y'.repeat(300)));
    expect(await readBoundedText(post(long.body), 1024)).toEqual({ kind: 'too-large' });
    expect(long.pulled()).toBeLessThan(10);
  });

  it('gives an empty text for no body', async () => {
    expect(await readBoundedText(post(null), 1024)).toEqual({ kind: 'text', text: '' });
  });
});
