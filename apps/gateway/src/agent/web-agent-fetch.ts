import type { AgentBodyReader, AgentFetch } from './agent-fetch.ts';

/** Bytes read from the agent at a time, where the body reads into a buffer of ours. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * `AgentFetch` over a WHATWG `fetch` (the runtime's own: Deno's, or Node's in
 * tests). Where the body is a byte stream, it is read into one buffer per
 * response (a BYOB reader): Deno's default reader hands out a new buffer per
 * chunk, and that external memory adding up made V8 run a mark-compact every
 * 40–160 ms under load (docs/performance.md, round 2).
 */
export function createWebAgentFetch(fetchFn: typeof globalThis.fetch = globalThis.fetch): AgentFetch {
  return async (url, init) => {
    const res = await fetchFn(url, init);
    const body = res.body;
    return {
      status: res.status,
      headers: res.headers,
      body: body === null ? null : { getReader: () => readerOf(body), cancel: () => body.cancel() },
    };
  };
}

function readerOf(body: ReadableStream<Uint8Array>): AgentBodyReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream: its own chunks, one allocation each.
    const reader = body.getReader();
    return { read: () => reader.read() as ReturnType<AgentBodyReader['read']>, cancel: () => cancelled(reader) };
  }
  let buffer = new Uint8Array(READ_BUFFER_BYTES);
  return {
    read: async () => {
      const result = await byob.read(buffer);
      if (result.done) return { done: true };
      // The read hands the memory back (the old view is detached): the next read reuses it.
      buffer = new Uint8Array(result.value.buffer);
      return { done: false, value: result.value };
    },
    cancel: () => cancelled(byob),
  };
}

/**
 * Cancels, then lets two macrotasks pass before it resolves. Deno closes an
 * aborted request's connection in a task of its own, so without the wait the
 * session's next request could reach the agent before that close (§6): 17–29
 * of 100 cancels did, 5 sessions at once. After two tasks none in 2,400
 * cancels and takeovers; on an overloaded machine as few as with Node's
 * synchronous close (README, "Where Deno differs").
 */
async function cancelled(reader: { cancel(): Promise<void> }): Promise<void> {
  try {
    // Rejects when the abort has already errored the stream: the wait is owed all the same.
    await reader.cancel();
  } finally {
    for (let task = 0; task < 2; task++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}
