import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { urlToHttpOptions } from 'node:url';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AgentBodyReader, AgentFetch, AgentResponse } from '../agent/agent-fetch.ts';

/**
 * `AgentFetch` over `node:http` with keep-alive agents: connections to the
 * agent are reused (protocol.md §3), redirects are never followed, and an
 * abort destroys the request's socket, so the agent sees it closed at once.
 */
export function createNodeAgentFetch(): AgentFetch {
  // The gateway calls one URL: parsed once, not per turn.
  let cached: { url: string; target: RequestOptions } | undefined;
  const targetOf = (url: string): RequestOptions => {
    if (cached?.url !== url) cached = { url, target: urlToHttpOptions(new URL(url)) };
    return cached.target;
  };
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, scheduling: 'lifo' }),
    'https:': new HttpsAgent({ keepAlive: true, scheduling: 'lifo' }),
  };
  return (url, init) =>
    new Promise<AgentResponse>((resolve, reject) => {
      const { signal } = init;
      if (signal.aborted) return reject(signal.reason);
      const target = targetOf(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send({
        ...target,
        method: init.method ?? 'GET',
        headers: init.headers,
        agent: agents[target.protocol as 'http:' | 'https:'],
      });
      let res: IncomingMessage | undefined;
      // Destroyed without an error, so no 'error' event outlives the request: before the
      // headers the promise rejects here; after them the body reader reports the close.
      const onAbort = () => {
        reject(signal.reason);
        res?.destroy();
        req.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('response', (response) => {
        res = response;
        response.once('close', () => signal.removeEventListener('abort', onAbort));
        resolve(toResponse(response));
      });
      req.on('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      });
      req.end(init.body);
    });
}

function toResponse(res: IncomingMessage): AgentResponse {
  let reader: AgentBodyReader | undefined;
  const cancel = async () => {
    if (!res.complete) res.destroy();
  };
  return {
    status: res.statusCode ?? 0,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: {
      getReader: () => (reader ??= readerOf(res)),
      cancel,
    },
  };
}

/**
 * Pulls the body: each `read()` takes everything the response has buffered
 * (at most its highWaterMark), so a burst of events is one chunk. While
 * nobody reads, the socket is not read either (TCP slows the agent). Lighter
 * than the stream's async iterator: no async generator, one promise per wait.
 */
function readerOf(res: IncomingMessage): AgentBodyReader {
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: Error | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  res.on('readable', notify);
  res.once('end', () => {
    ended = true;
    notify();
  });
  // An agent that drops the connection mid-body: 'error' (ECONNRESET) before 'close'.
  res.once('error', (error) => {
    failure ??= error;
    notify();
  });
  res.once('close', () => {
    if (!ended) failure ??= Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    notify();
  });
  const waitForData = () => new Promise<void>((resolve) => (wake = resolve));
  return {
    read: async () => {
      for (;;) {
        const chunk = res.read() as Buffer | null;
        if (chunk !== null) return { done: false, value: chunk };
        if (failure !== undefined) throw failure;
        if (ended) return { done: true };
        await waitForData();
      }
    },
    cancel: async () => {
      if (!res.complete) res.destroy();
      notify();
    },
  };
}
