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
    return body.getReader() as AgentBodyReader;
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
    cancel: () => byob.cancel(),
  };
}
