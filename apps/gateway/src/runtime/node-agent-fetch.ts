import { Pool, type Dispatcher } from 'undici';
import { ABORT_GRACE_MS, AgentSilent, type AgentBodyReader, type AgentFetch, type AgentResponse } from '../agent/agent-fetch.ts';

/**
 * undici's header and body timeouts are off: `AgentClient`'s idle timer is
 * the rule, and it reports silence, connect included, as `agent_timeout`.
 * Its connect timeout (10 s by default, reported as a connect failure) is set
 * a little beyond that timer, so that a hung connect is not left to the
 * kernel (≈ 2 min) once its turn has ended.
 */
export const agentPoolOptions = (connectTimeoutMs: number) => ({ connections: null, connectTimeout: connectTimeoutMs, headersTimeout: 0, bodyTimeout: 0 });

/**
 * `AgentFetch` over undici's `Pool.dispatch` (the layer Node's own `fetch`
 * and undici's `request` are built on): the answer's bytes go straight from
 * undici's parser to the reader, without a body stream, an async resource or
 * a promise wrapper per request. 50 µs of CPU per short request against
 * 65–85 µs for `Pool.request` and 95 µs for `node:http` with a keep-alive
 * agent (docs/performance.md, rounds 2 and 11). Connections to the agent are
 * kept alive and reused (protocol.md §3), redirects are never followed, and
 * an abort destroys the request's connection, so the agent sees it closed at
 * once; a request aborted before it was written is dropped, and its
 * connection goes to the next request. undici's own timeouts leave the rule
 * to `AgentClient`'s idle timer (`agentPoolOptions`), which does not count
 * time the gateway is not reading.
 */
export function createNodeAgentFetch(opts: { connectTimeoutMs: number }): AgentFetch {
  const pools = new Map<string, Pool>();
  // The gateway calls one agent: its URLs are split once, not per turn.
  let cached: { url: string; origin: string; path: string } | undefined;
  const targetOf = (url: string) => {
    if (cached?.url !== url) {
      const parsed = new URL(url);
      cached = { url, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    }
    return cached;
  };
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, agentPoolOptions(opts.connectTimeoutMs));
      pools.set(origin, pool);
    }
    return pool;
  };

  return (url, init) => {
    const signal = init.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    const { origin, path } = targetOf(url);
    return new Promise<AgentResponse>((resolve, reject) => {
      const body = new BodyQueue();
      let answered = false;
      // Resolves once undici is done with the request: answered in full, failed, or aborted.
      let settle: (() => void) | undefined;
      let settled = false;
      const over = () => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        settle?.();
      };
      // undici acts on an abort only once the request has a connection: while a connect hangs, it
      // waits for the connect, and a request whose connect was pending could still be written once
      // it is up (1 in some 3,400 under churn, before this wait). So an abort before then is kept,
      // acted on in onRequestStart (the request is then never written), and waited for (undici to
      // settle the request) for up to ABORT_GRACE_MS before the caller hears of it; at once for an
      // agent silent for the whole stream timeout.
      const onAbort = () => {
        body.controller?.abort(signal.reason);
        if (answered) return body.fail(signal.reason);
        if (settled || signal.reason instanceof AgentSilent) return reject(signal.reason);
        let grace: ReturnType<typeof setTimeout> | undefined;
        void Promise.race([new Promise<void>((done) => (settle = done)), new Promise<void>((done) => (grace = setTimeout(done, ABORT_GRACE_MS)))]).then(() => {
          clearTimeout(grace);
          reject(signal.reason);
        });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (controller) => {
          // Aborted before it was written: thrown, undici fails the request and leaves its
          // connection to the next one (`controller.abort` would destroy that healthy socket).
          if (signal.aborted) throw signal.reason;
          body.controller = controller;
        },
        onResponseStart: (_controller, status, headers) => {
          // 1xx answers are informational: the final one follows.
          if (status < 200 || signal.aborted) return;
          answered = true;
          resolve(toResponse(status, headers, body));
        },
        onResponseData: (_controller, chunk) => body.push(chunk),
        onResponseEnd: () => {
          body.end();
          over();
        },
        onResponseError: (_controller, error) => {
          if (answered) body.fail(error);
          else if (!signal.aborted) reject(error);
          over();
        },
      };
      poolFor(origin).dispatch({ path, method: (init.method ?? 'GET') as Dispatcher.HttpMethod, headers: init.headers, body: init.body ?? null }, handler);
    });
  };
}

function toResponse(status: number, headers: Record<string, string | string[] | undefined>, body: BodyQueue): AgentResponse {
  return {
    status,
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: {
      getReader: () => body,
      cancel: () => body.cancel(),
    },
  };
}

/**
 * Bytes one body may hold unread before undici stops reading its socket
 * (then TCP slows the agent): what undici's own body stream holds.
 */
export const BODY_HIGH_WATER_BYTES = 64 * 1024;

/**
 * Bytes one body may hand over without waiting before its reader lets the
 * event loop take a turn. libuv reads a busy socket up to 32 times in one
 * poll (2 MiB), and every read the gateway makes of the body lets undici
 * parse more of that at once: without a turn, an agent streaming as fast as
 * it can held every other session and `/health` back for 200–400 ms.
 */
export const READ_WITHOUT_YIELD_BYTES = 64 * 1024;

/**
 * One answer's body, as undici's parser hands it over, and its reader: each
 * `read()` takes everything queued, so a burst of events is one chunk. Past
 * `BODY_HIGH_WATER_BYTES` unread, undici is paused; a read resumes it. Past
 * `READ_WITHOUT_YIELD_BYTES` read without waiting, the next read waits for
 * one `setImmediate`, so other sockets are served between its chunks.
 */
export class BodyQueue implements AgentBodyReader {
  /** undici's handle on the request: pause, resume, abort. */
  controller: Pick<Dispatcher.DispatchController, 'pause' | 'resume' | 'abort' | 'paused'> | undefined;
  #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #failure: unknown;
  #failed = false;
  #sinceYield = 0;
  #wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued >= BODY_HIGH_WATER_BYTES) this.controller?.pause();
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#failure = error;
    }
    this.#notify();
  }

  async read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }> {
    if (this.#sinceYield >= READ_WITHOUT_YIELD_BYTES) {
      this.#sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (;;) {
      if (this.#queued > 0) {
        const chunks = this.#chunks;
        const value = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#queued);
        this.#chunks = [];
        this.#sinceYield += this.#queued;
        this.#queued = 0;
        // undici parses what it holds at once: its chunks queue for the next read.
        if (this.controller?.paused) this.controller.resume();
        return { done: false, value };
      }
      if (this.#failed) throw this.#failure;
      if (this.#ended) return { done: true };
      this.#sinceYield = 0;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Gives the body up: a request not yet answered in full is aborted, its connection closed. */
  async cancel(): Promise<void> {
    if (!this.#ended && !this.#failed) {
      const cancelled = new Error('the body was cancelled');
      this.controller?.abort(cancelled);
      this.fail(cancelled);
    }
    this.#chunks = [];
    this.#queued = 0;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
