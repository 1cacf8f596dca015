import { encodeSseComment, encodeSseEvent, type SseFields } from '@agent-gateway/protocol';

/** The longest delay a runtime's timer takes as it is (2^31-1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/** Thrown out of a writer's awaits once the client has gone away, so every scenario loop unwinds. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor() {
    super('the client went away');
  }
}

/** Errors the body on purpose (`cut_stream` `destroy` where the socket is out of reach): expected, not a failure. */
export class StreamCutError extends Error {
  override readonly name = 'StreamCutError';
  constructor() {
    super('connection cut by the mock agent');
  }
}

export interface EventStreamWriter {
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** Writes raw bytes (a string is UTF-8 encoded); waits while the reader is behind. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Writes one SSE event (`encodeSseEvent`). */
  event(data: object | string, fields?: SseFields): Promise<void>;
  /** Writes an SSE comment (`: keep-alive` by default). */
  comment(text?: string): Promise<void>;
  /** Waits `ms` (no timer when `ms <= 0`); rejects with `ClientGoneError` when the client goes away. */
  sleep(ms: number): Promise<void>;
  /** Never resolves; rejects with `ClientGoneError` when the client goes away. */
  hang(): Promise<never>;
  /** Cuts the connection mid-body: no clean end of the response. */
  destroy(): void;
}

export interface EventStreamOptions {
  /** The request's signal: aborted when the client goes away. */
  signal: AbortSignal;
  status?: number;
  headers?: Record<string, string>;
  /** Called once: `aborted` is true when the client went away first. */
  onEnd(outcome: { aborted: boolean }): void;
  /** Destroys the underlying connection; returns false when the runtime cannot (the body stream is errored instead). */
  destroyConnection?: () => boolean;
}

export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
} as const;

const encoder = new TextEncoder();

/**
 * A `text/event-stream` response whose bytes are exactly what `produce`
 * writes, each `write` one chunk. A raw `ReadableStream` rather than hono's
 * `streamSSE`: scenarios need exact bytes (CR line ends, one-byte chunks,
 * comments) and a cancellation that does not depend on `stream.onAbort`.
 */
export function createEventStreamResponse(
  produce: (writer: EventStreamWriter) => Promise<void>,
  options: EventStreamOptions,
): Response {
  const gone = new AbortController();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let finished = false;
  let pullWaiter: (() => void) | undefined;

  const finish = (aborted: boolean) => {
    if (finished) return false;
    finished = true;
    options.onEnd({ aborted });
    return true;
  };
  const clientGone = () => {
    if (!gone.signal.aborted) gone.abort(new ClientGoneError());
    finish(true);
    pullWaiter?.();
  };
  const throwIfGone = () => {
    if (gone.signal.aborted) throw gone.signal.reason;
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        const waiter = pullWaiter;
        pullWaiter = undefined;
        waiter?.();
      },
      cancel() {
        clientGone();
      },
    },
    { highWaterMark: 1 },
  );

  const writer: EventStreamWriter = {
    signal: gone.signal,
    async write(chunk) {
      throwIfGone();
      if (finished) throw new Error('the event stream has already ended');
      controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      while ((controller.desiredSize ?? 1) <= 0) {
        await new Promise<void>((resolve) => {
          pullWaiter = resolve;
        });
        throwIfGone();
      }
    },
    event(data, fields) {
      return writer.write(encodeSseEvent(data, fields));
    },
    comment(text) {
      return writer.write(encodeSseComment(text));
    },
    async sleep(ms) {
      if (gone.signal.aborted) throw gone.signal.reason;
      // A timer fires at once beyond 2^31-1 ms: a longer wait is taken in steps.
      for (let left = ms; left > 0; left -= MAX_TIMER_MS) {
        await new Promise<void>((resolve, reject) => {
          if (gone.signal.aborted) return reject(gone.signal.reason);
          const onAbort = () => {
            clearTimeout(timer);
            reject(gone.signal.reason);
          };
          const timer = setTimeout(() => {
            gone.signal.removeEventListener('abort', onAbort);
            resolve();
          }, Math.min(left, MAX_TIMER_MS));
          gone.signal.addEventListener('abort', onAbort, { once: true });
        });
      }
    },
    hang() {
      return new Promise<never>((_, reject) => {
        if (gone.signal.aborted) return reject(gone.signal.reason);
        gone.signal.addEventListener('abort', () => reject(gone.signal.reason), { once: true });
      });
    },
    destroy() {
      if (!finish(false)) return;
      if (options.destroyConnection?.()) return;
      try {
        controller.error(new StreamCutError());
      } catch {
        // already closed by the reader
      }
    },
  };

  if (options.signal.aborted) clientGone();
  else options.signal.addEventListener('abort', clientGone, { once: true });

  void (async () => {
    try {
      await produce(writer);
      if (finish(false)) controller.close();
    } catch (error) {
      if (error instanceof ClientGoneError || gone.signal.aborted) return;
      if (finish(false)) controller.error(error);
    }
  })();

  return new Response(stream, {
    status: options.status ?? 200,
    headers: { ...EVENT_STREAM_HEADERS, ...options.headers },
  });
}
