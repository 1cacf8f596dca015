import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AgentBodyReader, AgentFetch, AgentResponse } from '../agent/agent-fetch.ts';

/**
 * `AgentFetch` over `node:http` with keep-alive agents: connections to the
 * agent are reused (protocol.md §3), redirects are never followed, and an
 * abort destroys the request's socket, so the agent sees it closed at once.
 */
export function createNodeAgentFetch(): AgentFetch {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, scheduling: 'lifo' }),
    'https:': new HttpsAgent({ keepAlive: true, scheduling: 'lifo' }),
  };
  return (url, init) =>
    new Promise<AgentResponse>((resolve, reject) => {
      const { signal } = init;
      if (signal.aborted) return reject(signal.reason);
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, {
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

/** Pulls the body chunk by chunk: while nobody reads, the socket is not read either (TCP slows the agent). */
function readerOf(res: IncomingMessage): AgentBodyReader {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    read: async () => {
      const next = await chunks.next();
      return next.done ? { done: true } : { done: false, value: next.value };
    },
    cancel: async () => {
      if (!res.complete) res.destroy();
      await chunks.return?.().catch(() => undefined);
    },
  };
}
