import type { Readable } from 'node:stream';
import { Pool } from 'undici';
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
 * `AgentFetch` over undici's `Pool` (the HTTP client Node's own `fetch` is
 * built on, without the Fetch API layers): 55 µs of CPU per request against
 * 95 µs for `node:http` with a keep-alive agent (20 clients posting to the
 * bench's agent; docs/performance.md, round 2). Connections to the agent are kept alive and
 * reused (protocol.md §3), redirects are never followed, and an abort
 * destroys the request's connection, so the agent sees it closed at once.
 * undici's own timeouts leave the rule to `AgentClient`'s idle timer
 * (`agentPoolOptions`), which does not count time the gateway is not reading.
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
    const { origin, path } = targetOf(url);
    const request = poolFor(origin).request({
      path,
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      headers: init.headers,
      body: init.body,
      signal: init.signal,
    });
    const signal = init.signal;
    // undici acts on an abort only once the request has a connection: while a
    // connect hangs, it waits for the connect, and a request whose connect
    // was pending may still be written once it is up (1 in some 3,400 under
    // churn). So an abort waits for undici to settle the request (its body
    // then destroyed) for up to ABORT_GRACE_MS before the caller hears of it,
    // and at once for an agent silent for the whole stream timeout.
    return new Promise<AgentResponse>((resolve, reject) => {
      const onAbort = () => {
        const closed = request.then((res) => res.body.destroy(), ignore);
        if (signal.reason instanceof AgentSilent) return reject(signal.reason);
        let grace: ReturnType<typeof setTimeout> | undefined;
        void Promise.race([closed, new Promise<void>((done) => (grace = setTimeout(done, ABORT_GRACE_MS)))]).then(() => {
          clearTimeout(grace);
          reject(signal.reason);
        });
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      request.then(
        (res) => {
          if (signal.aborted) return;
          signal.removeEventListener('abort', onAbort);
          resolve(toResponse(res.statusCode, res.headers, res.body));
        },
        (error: unknown) => {
          if (signal.aborted) return;
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };
}

const ignore = () => undefined;

function toResponse(status: number, headers: Record<string, string | string[] | undefined>, body: Readable): AgentResponse {
  let reader: AgentBodyReader | undefined;
  // A body cancelled or never read may still report an error (the aborted request): not a crash.
  body.on('error', ignore);
  return {
    status,
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: {
      getReader: () => (reader ??= nodeBodyReader(body)),
      cancel: async () => {
        body.destroy();
      },
    },
  };
}

/**
 * Bytes one body may hand over without waiting before its reader lets the
 * event loop take a turn. libuv reads a busy socket up to 32 times in one
 * poll (2 MiB), and every read the gateway makes of the body pulls more of
 * that from undici at once: without a turn, an agent streaming as fast as
 * it can held every other session and `/health` back for 200–400 ms.
 */
export const READ_WITHOUT_YIELD_BYTES = 64 * 1024;

/**
 * Pulls the body: each `read()` takes everything the stream has buffered
 * (at most its highWaterMark), so a burst of events is one chunk. While
 * nobody reads, the socket is not read either (TCP slows the agent). Lighter
 * than the stream's async iterator: no async generator, one promise per wait.
 * Past `READ_WITHOUT_YIELD_BYTES` read without waiting, the next read waits
 * for one `setImmediate`, so other sockets are served between its chunks.
 */
export function nodeBodyReader(body: Readable): AgentBodyReader {
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: Error | undefined;
  let sinceYield = 0;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  body.on('readable', notify);
  body.once('end', () => {
    ended = true;
    notify();
  });
  // An agent that drops the connection mid-body, or an abort: 'error' before 'close'.
  body.once('error', (error) => {
    failure ??= error;
    notify();
  });
  body.once('close', () => {
    if (!ended) failure ??= Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    notify();
  });
  const waitForData = () => new Promise<void>((resolve) => (wake = resolve));
  return {
    read: async () => {
      if (sinceYield >= READ_WITHOUT_YIELD_BYTES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      for (;;) {
        const chunk = body.read() as Buffer | null;
        if (chunk !== null) {
          sinceYield += chunk.byteLength;
          return { done: false, value: chunk };
        }
        if (failure !== undefined) throw failure;
        if (ended) return { done: true };
        sinceYield = 0;
        await waitForData();
      }
    },
    cancel: async () => {
      body.destroy();
      notify();
    },
  };
}
