import { describe, expect, it } from 'vitest';
import { createWebAgentFetch } from './web-agent-fetch.ts';

const chunks = ['data: {"type":"token","content":"a"}\n\n', 'data: {"type":"tok', 'en","content":"é"}\n\n', 'data: {"type":"done"}\n\n'];
// Fresh bytes for each stream: a byte stream takes over (detaches) what is enqueued.
const encoded = () => chunks.map((c) => new TextEncoder().encode(c));

/** A fetch answering with `stream` as the body. */
const answering = (stream: () => ReadableStream<Uint8Array>) => (async () => new Response(stream(), { headers: { 'content-type': 'text/event-stream' } })) as unknown as typeof fetch;

async function readAll(fetchFn: typeof fetch): Promise<{ text: string; reads: number; views: Uint8Array[] }> {
  const res = await createWebAgentFetch(fetchFn)('http://agent.invalid/x', { redirect: 'manual', signal: new AbortController().signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let reads = 0;
  const views: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads++;
    views.push(value);
    // Used before the next read, as AgentClient does.
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), reads, views };
}

describe('createWebAgentFetch', () => {
  it('reads a byte-stream body into one reused buffer (BYOB), every byte in order', async () => {
    const byteStream = () => {
      const bytes = encoded();
      let i = 0;
      return new ReadableStream({
        type: 'bytes',
        pull(controller: ReadableByteStreamController) {
          if (i < bytes.length) return controller.enqueue(bytes[i++]!);
          controller.close();
          // A BYOB read waiting at the end is answered with no bytes (Streams §4.10).
          controller.byobRequest?.respond(0);
        },
      });
    };
    const { text, reads, views } = await readAll(answering(byteStream));
    expect(text).toBe(chunks.join(''));
    expect(reads).toBe(chunks.length);
    // Each read handed the previous buffer back: earlier views are detached, not copies.
    expect(views.slice(0, -1).every((v) => v.byteLength === 0)).toBe(true);
  });

  it('reads any other body with its own reader', async () => {
    const plainStream = () => {
      const bytes = encoded();
      let i = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i < bytes.length) controller.enqueue(bytes[i++]!);
          else controller.close();
        },
      });
    };
    const { text, views } = await readAll(answering(plainStream));
    expect(text).toBe(chunks.join(''));
    expect(views.every((v) => v.byteLength > 0)).toBe(true);
  });

  // Deno closes an aborted request's connection in a task of its own: cancel resolves after two
  // more tasks, also when the abort has already errored the stream (§6: the next request waits).
  it.each([
    ['a byte stream', true],
    ['any other stream', false],
  ])('cancel of %s resolves only after two macrotasks have passed, even when the stream has errored', async (_name, bytes) => {
    for (const errored of [false, true]) {
      let errorIt: (() => void) | undefined;
      const stream = () =>
        new ReadableStream<Uint8Array>({
          ...(bytes ? { type: 'bytes' as const } : {}),
          start(controller) {
            errorIt = () => controller.error(new Error('aborted'));
          },
        } as UnderlyingDefaultSource<Uint8Array>);
      const res = await createWebAgentFetch(answering(stream))('http://agent.invalid/x', { redirect: 'manual', signal: new AbortController().signal });
      const reader = res.body!.getReader();
      if (errored) errorIt!();
      const tasks: number[] = [];
      setTimeout(() => {
        tasks.push(1);
        setTimeout(() => tasks.push(2), 0);
      }, 0);
      await reader.cancel().catch(() => undefined);
      expect(tasks).toEqual([1, 2]);
    }
  });
});
