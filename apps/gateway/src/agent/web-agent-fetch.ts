import { ABORT_GRACE_MS, AgentSilent, type AgentBodyReader, type AgentFetch } from './agent-fetch.ts';

const encoder = new TextEncoder();

/** Bytes read from the agent at a time, where the body reads into a buffer of ours. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * `AgentFetch` over a WHATWG `fetch` (the runtime's own: Deno's, or Node's in
 * tests). Where the body is a byte stream, it is read into one buffer per
 * response (a BYOB reader): Deno's default reader hands out a new buffer per
 * chunk, and that external memory adding up made V8 run a mark-compact every
 * 40–160 ms under load (docs/performance.md, round 2).
 *
 * Two things Deno's `fetch` does on an abort are guarded against (§6: the
 * agent never sees two requests of one session at once, nor out of order):
 * - Aborted while it waits for a new connection, it rejects at once but may
 *   still send the request once the connection is up (35–100 ms later, when
 *   many connections were opening), after the session's next request. So an
 *   abort before the answer is not passed on at once: the answer gets
 *   `ABORT_GRACE_MS` to come, and its connection is then closed (the body
 *   cancelled) before the abort is reported. An agent silent for the whole
 *   stream timeout (`AgentSilent`) is given up at once.
 * - Aborted while a read of its body is pending, with some 20 other bodies
 *   streaming, the read may never settle: each read is raced against the
 *   abort, and cancelling the body then closes the connection.
 * And the request body is sent as a stream, which Deno never resends (`once`).
 */
export function createWebAgentFetch(fetchFn: typeof globalThis.fetch = globalThis.fetch): AgentFetch {
  return async (url, init) => {
    const { signal } = init;
    if (signal.aborted) throw signal.reason;
    const runtime = new AbortController();
    let grace: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      if (signal.reason instanceof AgentSilent) runtime.abort(signal.reason);
      else grace = setTimeout(() => runtime.abort(signal.reason), ABORT_GRACE_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    try {
      const { method, headers, redirect } = init;
      res = await fetchFn(url, { method, headers, redirect, body: once(init.body), duplex: 'half', signal: runtime.signal } as RequestInit);
    } catch (error) {
      if (!signal.aborted) throw error;
      // Aborted for real (after the grace, or at once for a silent agent): Deno closes the
      // connection in a later task, as after a cancelled body (`cancelled`).
      await tasksPass();
      throw signal.reason;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(grace);
    }
    const body = res.body;
    if (signal.aborted) {
      // The answer came after the caller gave up: its connection closes before that is reported,
      // and the caller hears of it (a tool result the agent accepted is marked all the same).
      init.onLateAnswer?.(res.status);
      if (body !== null) await cancelled(body);
      throw signal.reason;
    }
    signal.addEventListener('abort', () => runtime.abort(signal.reason), { once: true });
    return {
      status: res.status,
      headers: res.headers,
      body: body === null ? null : { getReader: () => abortable(readerOf(body), signal), cancel: () => body.cancel() },
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
async function cancelled(stream: { cancel(): Promise<void> }): Promise<void> {
  try {
    // Rejects when the abort has already errored the stream: the wait is owed all the same.
    await stream.cancel();
  } finally {
    await tasksPass();
  }
}

/** Two macrotasks: enough for Deno to close a connection its `fetch` gave up (see `cancelled`). */
async function tasksPass(): Promise<void> {
  for (let task = 0; task < 2; task++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/**
 * The body as a stream of one chunk. Deno's `fetch` sends a body it can copy
 * (a string) a second time, on a new connection, when a reused connection
 * is reset before the answer, although the agent may have received and run it
 * (denoland/deno#35610): a message or tool result delivered twice. It never
 * resends a streamed body. The price is `transfer-encoding: chunked` in place
 * of `content-length`, which every HTTP/1.1 server reads.
 */
function once(body: string | undefined): ReadableStream<Uint8Array> | undefined {
  if (body === undefined) return undefined;
  const bytes = encoder.encode(body);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Each read rejects as soon as `signal` aborts, whether or not the runtime's
 * read settles: one abort listener per body, not per read.
 */
function abortable(reader: AgentBodyReader, signal: AbortSignal): AgentBodyReader {
  let rejectPending: ((reason: unknown) => void) | undefined;
  const onAbort = () => rejectPending?.(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    read: () => {
      if (signal.aborted) return Promise.reject(signal.reason);
      return new Promise((resolve, reject) => {
        rejectPending = reject;
        reader.read().then(resolve, reject);
      });
    },
    cancel: () => {
      signal.removeEventListener('abort', onAbort);
      return reader.cancel();
    },
  };
}
