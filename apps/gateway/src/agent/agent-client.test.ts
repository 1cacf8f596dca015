import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { AgentEvent, AgentMessage } from '@agent-gateway/protocol';
import { GatewayError } from '../errors.ts';
import { createNodeAgentFetch } from '../runtime/node-agent-fetch.ts';
import { AgentSilent, type AgentBodyReader, type AgentFetch } from './agent-fetch.ts';
import { AgentClient, bytesAfterEvent, describeFetchError, maxDataLinesOf, UpstreamAborted, type AgentClientOptions, type AgentStreamEvent, type AgentStreamRequest } from './agent-client.ts';

// ---- A scripted agent: a real node:http server on port 0 ----

interface Recorded {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  /** Resolves when the TCP connection this request came on closes. */
  socketClosed: Promise<void>;
  socket: Socket;
}

type Handler = (req: IncomingMessage, res: ServerResponse, recorded: Recorded, index: number) => void | Promise<void>;

interface Agent {
  url: string;
  requests: Recorded[];
  /** TCP connections the server accepted. */
  connections: () => number;
  /** Resolves with the n-th request (0-based) once it has arrived. */
  request: (index: number) => Promise<Recorded>;
}

async function withAgent(handler: Handler, fn: (agent: Agent) => Promise<void>): Promise<void> {
  const requests: Recorded[] = [];
  const waiters = new Map<number, (r: Recorded) => void>();
  let connections = 0;
  const server = createServer((req, res) => {
    const socket = req.socket;
    const socketClosed = new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socketClosed,
        socket,
      };
      const index = requests.push(recorded) - 1;
      waiters.get(index)?.(recorded);
      Promise.resolve(handler(req, res, recorded, index)).catch((error: unknown) => {
        res.destroy(error as Error);
      });
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  try {
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await fn({
      url: `http://127.0.0.1:${port}`,
      requests,
      connections: () => connections,
      request: (index) =>
        requests[index] ? Promise.resolve(requests[index]) : new Promise((resolve) => waiters.set(index, resolve)),
    });
  } finally {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
}

const sse = (res: ServerResponse, status = 200) => {
  res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
};
const event = (data: unknown, eol = '\n') => `data: ${JSON.stringify(data)}${eol}${eol}`;
const DONE = { type: 'done', finish_reason: 'stop' } as const;

/** Resolves when `res` can take more data, or is gone. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes each piece as its own write, with a pause between (server-side timing). */
async function writeSlowly(res: ServerResponse, pieces: (string | Uint8Array)[], gapMs = 2): Promise<void> {
  for (const piece of pieces) {
    if (res.destroyed) return;
    res.write(piece);
    await delay(gapMs);
  }
}

const bytesOf = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => Uint8Array.of(b));

// ---- Client side ----

const MESSAGE: AgentMessage = { type: 'user_message', content: 'hi', request_id: 'r-42', metadata: { file: 'a.ts' }, extra: 1 };

/**
 * The transports `AgentClient` runs over: `web`, the runtime's `fetch` (what Deno uses), and
 * `node`, `runtime/node-agent-fetch.ts` (undici's `Pool.dispatch`). Every test below runs on both.
 */
type Transport = 'web' | 'node';

function clientOver(transport: Transport, agent: Agent, options: Partial<AgentClientOptions> = {}): AgentClient {
  const fetch = transport === 'node' ? { fetch: createNodeAgentFetch({ connectTimeoutMs: 6000 }) } : {};
  return new AgentClient({ agentUrl: agent.url, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1 << 20, ...fetch, ...options });
}

function request(overrides: Partial<AgentStreamRequest> = {}): AgentStreamRequest {
  return { sessionId: 's1', requestId: 'r-42', message: MESSAGE, signal: new AbortController().signal, ...overrides };
}

async function collect(
  agentClient: AgentClient,
  req: AgentStreamRequest = request(),
): Promise<{ events: AgentStreamEvent[]; error: unknown }> {
  const events: AgentStreamEvent[] = [];
  try {
    for await (const batch of agentClient.stream(req)) events.push(...batch);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

const eventsOf = (events: AgentStreamEvent[]): AgentEvent[] => events.map((e) => e.event);

function expectGatewayError(error: unknown, code: string): GatewayError {
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).code).toBe(code);
  return error as GatewayError;
}

/** A fetch that records the chunks the client reads and whether each body was read to its end. */
function recordingFetch() {
  const bodies: { chunks: Uint8Array[]; outcome: Promise<'ended' | 'errored'> }[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.body === null || !(res.headers.get('content-type') ?? '').includes('event-stream')) return res;
    const chunks: Uint8Array[] = [];
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        chunks.push(chunk);
        controller.enqueue(chunk);
      },
    });
    const outcome = res.body.pipeTo(writable).then(
      () => 'ended' as const,
      () => 'errored' as const,
    );
    bodies.push({ chunks, outcome });
    return new Response(readable, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return { fetch: wrapped, bodies };
}

/** An event stream of `chunks`, one read each, without a server; `onCancel` hears each reader cancel (and whether the request was aborted first). */
function chunkedFetch(chunks: (string | Uint8Array)[], onCancel: (afterAbort: boolean) => void = () => undefined): AgentFetch {
  const encoder = new TextEncoder();
  return async (_url, init) => {
    let next = 0;
    return {
      status: 200,
      headers: { get: (name: string) => (name === 'content-type' ? 'text/event-stream' : null) },
      body: {
        getReader: () => ({
          read: async () => {
            if (next >= chunks.length) return { done: true as const };
            const chunk = chunks[next++]!;
            return { done: false as const, value: typeof chunk === 'string' ? encoder.encode(chunk) : chunk };
          },
          cancel: async () => onCancel(init.signal.aborted),
        }),
        cancel: async () => undefined,
      },
    };
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

// ---- Tests ----

describe.each<Transport>(['web', 'node'])('over the %s transport', (transport) => {
  const client = (agent: Agent, options: Partial<AgentClientOptions> = {}) => clientOver(transport, agent, options);

  describe('AgentClient request', () => {
    it('POSTs the JSON envelope to /agent/message/stream with the protocol headers', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event(DONE));
        },
        async (agent) => {
          const { events, error } = await collect(client(agent, { internalApiKey: 'internal-k3y' }));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([DONE]);
          const [recorded] = agent.requests;
          expect(recorded!.method).toBe('POST');
          expect(recorded!.url).toBe('/agent/message/stream');
          expect(recorded!.headers['content-type']).toBe('application/json');
          expect(recorded!.headers.accept).toBe('text/event-stream');
          expect(recorded!.headers['accept-encoding']).toBe('identity');
          expect(recorded!.headers['x-request-id']).toBe('r-42');
          expect(recorded!.headers['x-internal-api-key']).toBe('internal-k3y');
          expect(JSON.parse(recorded!.body)).toEqual({ session_id: 's1', request_id: 'r-42', message: MESSAGE });
        },
      );
    });

    it('sends messageJson, when given, as the message exactly (the IDE frame as received)', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event(DONE));
        },
        async (agent) => {
          const messageJson = '{"type":"user_message",  "content":"hi","request_id":"r-42","n":1.0,"big":12345678901234567890}';
          const { error } = await collect(client(agent), request({ messageJson }));
          expect(error).toBeUndefined();
          expect(agent.requests[0]!.body).toBe(`{"session_id":"s1","request_id":"r-42","message":${messageJson}}`);
        },
      );
    });

    it('a message that cannot be serialized fails as itself, not as an unreachable agent, and sends nothing', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event(DONE));
        },
        async (agent) => {
          const circular: Record<string, unknown> = { type: 'user_message', content: 'hi', request_id: 'r-42' };
          circular.self = circular;
          const { error } = await collect(client(agent), request({ message: circular as AgentMessage }));
          expect(error).toBeInstanceOf(TypeError);
          expect(agent.requests).toHaveLength(0);
        },
      );
    });

    it('sends no x-internal-api-key when none is configured', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event(DONE));
        },
        async (agent) => {
          const { error } = await collect(client(agent, { internalApiKey: undefined }));
          expect(error).toBeUndefined();
          expect(agent.requests[0]!.headers).not.toHaveProperty('x-internal-api-key');
          expect(agent.requests[0]!.headers['x-request-id']).toBe('r-42');
        },
      );
    });

    it('calls onAccepted once on a 2xx event stream, before the first event', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event({ type: 'token', content: 'a' }) + event(DONE));
        },
        async (agent) => {
          const calls: string[] = [];
          const events: AgentStreamEvent[] = [];
          for await (const batch of client(agent).stream(request({ onAccepted: () => calls.push('accepted') }))) {
            for (const e of batch) {
              calls.push(`event:${e.event.type}`);
              events.push(e);
            }
          }
          expect(calls).toEqual(['accepted', 'event:token', 'event:done']);
        },
      );
    });
  });

  describe('AgentClient events', () => {
    it('yields known and unknown events in order, with their extra fields; comments and other fields are not events', async () => {
      const tool = { type: 'tool_call', tool_call_id: 'call-1', name: 'read_file', arguments: { path: 'a.ts' }, index: 0 };
      const thinking = { type: 'thinking', text: 'hmm', nested: { a: [1, 2] } };
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(
            ': keep-alive\n\n' +
              'retry: 1000\n\n' +
              'id: 7\nevent: message\n' +
              event({ type: 'token', content: 'Hi', logprob: -0.1 }) +
              'event: ping\n\n' +
              event(tool) +
              event(thinking) +
              ':comment\n' +
              event({ type: 'done', finish_reason: 'tool_calls', usage: { input_tokens: 3, output_tokens: 5 } }),
          );
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          expect(error).toBeUndefined();
          expect(events.map((e) => [e.event, e.known])).toEqual([
            [{ type: 'token', content: 'Hi', logprob: -0.1 }, true],
            [tool, true],
            [thinking, false],
            [{ type: 'done', finish_reason: 'tool_calls', usage: { input_tokens: 3, output_tokens: 5 } }, true],
          ]);
          expect(events[0]!.data).toBe(JSON.stringify({ type: 'token', content: 'Hi', logprob: -0.1 }));
        },
      );
    });

    it('forwards nothing after a terminal event', async () => {
      for (const terminal of [DONE, { type: 'error', code: 'model_overloaded', message: 'try later', retryable: true }]) {
        await withAgent(
          (_req, res) => {
            sse(res);
            res.end(event({ type: 'token', content: 'a' }) + event(terminal) + event({ type: 'token', content: 'late' }));
          },
          async (agent) => {
            const { events, error } = await collect(client(agent));
            expect(error).toBeUndefined();
            expect(eventsOf(events)).toEqual([{ type: 'token', content: 'a' }, terminal]);
          },
        );
      }
    });

    it('parses events split across chunks at every byte, including inside a UTF-8 character', async () => {
      const text = 'héllo 中文 😀 👍🏽';
      const stream = event({ type: 'token', content: text }) + ': ka\n\n' + event({ type: 'token', content: '€' }) + event(DONE);
      const recorder = recordingFetch();
      await withAgent(
        async (_req, res) => {
          sse(res);
          await writeSlowly(res, bytesOf(stream), 1);
          res.end();
        },
        async (agent) => {
          const { events, error } = await collect(client(agent, { fetch: recorder.fetch }));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([{ type: 'token', content: text }, { type: 'token', content: '€' }, DONE]);
          // The body really did reach the client in many pieces.
          expect(recorder.bodies[0]!.chunks.length).toBeGreaterThan(20);
        },
      );
    });

    it('decodes a 4-byte character whose bytes arrive in different chunks', async () => {
      const head = Buffer.from('data: {"type":"token","content":"a', 'utf8');
      const emoji = Buffer.from('😀', 'utf8');
      const tail = Buffer.from('b"}\n\n' + event(DONE), 'utf8');
      const recorder = recordingFetch();
      await withAgent(
        async (_req, res) => {
          sse(res);
          await writeSlowly(res, [Buffer.concat([head, emoji.subarray(0, 1)]), emoji.subarray(1, 3), Buffer.concat([emoji.subarray(3), tail])], 20);
          res.end();
        },
        async (agent) => {
          const { events, error } = await collect(client(agent, { fetch: recorder.fetch }));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([{ type: 'token', content: 'a😀b' }, DONE]);
          const sizes = recorder.bodies[0]!.chunks.map((c) => c.byteLength);
          // The character's first byte ended a chunk.
          expect(sizes[0]).toBe(head.length + 1);
        },
      );
    });

    it.each([
      ['LF', '\n'],
      ['CRLF', '\r\n'],
      ['CR', '\r'],
    ])('accepts %s line ends, in one piece and byte by byte', async (_name, eol) => {
      const stream =
        `: hello${eol}${eol}` +
        `event: x${eol}` +
        event({ type: 'token', content: 'a' }, eol) +
        `data: {"type":"token",${eol}data: "content":"b"}${eol}${eol}` +
        event(DONE, eol);
      for (const bytewise of [false, true]) {
        await withAgent(
          async (_req, res) => {
            sse(res);
            if (bytewise) await writeSlowly(res, bytesOf(stream), 1);
            else res.write(stream);
            res.end();
          },
          async (agent) => {
            const { events, error } = await collect(client(agent));
            expect(error).toBeUndefined();
            expect(eventsOf(events)).toEqual([{ type: 'token', content: 'a' }, { type: 'token', content: 'b' }, DONE]);
          },
        );
      }
    });

    it('handles a CRLF split between two chunks as one line end', async () => {
      const recorder = recordingFetch();
      await withAgent(
        async (_req, res) => {
          sse(res);
          await writeSlowly(res, ['data: {"type":"token","content":"a"}\r', '\n\r', '\n' + event(DONE, '\r\n')], 20);
          res.end();
        },
        async (agent) => {
          const { events, error } = await collect(client(agent, { fetch: recorder.fetch }));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([{ type: 'token', content: 'a' }, DONE]);
          expect(recorder.bodies[0]!.chunks.length).toBeGreaterThanOrEqual(3);
        },
      );
    });

    it('a CR that ends the stream still ends its line (the final blank line dispatches the event)', async () => {
      for (const lastPieceAlone of [false, true]) {
        await withAgent(
          async (_req, res) => {
            sse(res);
            const stream = 'data: {"type":"token","content":"a"}\r\rdata: {"type":"done","finish_reason":"stop"}\r\r';
            if (lastPieceAlone) await writeSlowly(res, [stream.slice(0, -1), '\r'], 20);
            else res.write(stream);
            res.end();
          },
          async (agent) => {
            const { events, error } = await collect(client(agent));
            expect(error).toBeUndefined();
            expect(eventsOf(events)).toEqual([{ type: 'token', content: 'a' }, DONE]);
          },
        );
      }
    });

    // §4: CR is a line end. An event whose blank line is a CR is complete when that
    // CR arrives; it must not wait for a further byte (which may never come while
    // the agent keeps the stream open).
    it('delivers a CR-terminated event without waiting for the next byte', async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      await withAgent(
        async (_req, res) => {
          sse(res);
          res.write('data: {"type":"token","content":"a"}\r\r');
          await released;
          res.end(event(DONE));
        },
        async (agent) => {
          const stream = client(agent, { streamTimeoutMs: 1500 }).stream(request());
          try {
            const first = await stream.next();
            expect(first.done).toBe(false);
            expect((first.value as AgentStreamEvent[])[0]!.event).toEqual({ type: 'token', content: 'a' });
          } finally {
            release();
            await stream.return(undefined);
          }
        },
      );
    });

    it('joins multi-line data with \\n', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end('data: {"type":"token",\ndata:"content":"a b",\ndata:  "n": 1}\n\n' + event(DONE));
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          expect(error).toBeUndefined();
          expect(events[0]!.event).toEqual({ type: 'token', content: 'a b', n: 1 });
          // Two joins of one \n each, and the space after the colon of the third line kept except the first.
          expect(events[0]!.data).toBe('{"type":"token",\n"content":"a b",\n "n": 1}');
        },
      );
    });

    it('counts comments as activity: a stream of only comments does not time out', async () => {
      await withAgent(
        async (_req, res) => {
          sse(res);
          for (let i = 0; i < 14; i++) {
            await delay(50);
            if (res.destroyed) return;
            res.write(': keep-alive\n\n');
          }
          res.end(event(DONE));
        },
        async (agent) => {
          const started = performance.now();
          const { events, error } = await collect(client(agent, { streamTimeoutMs: 300 }));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([DONE]);
          expect(performance.now() - started).toBeGreaterThan(600);
        },
      );
    });

    it('does not count time while the caller is not pulling events (§8)', async () => {
      await withAgent(
        async (_req, res) => {
          sse(res);
          res.write(event({ type: 'token', content: 'a' }));
          await delay(100);
          if (!res.destroyed) res.end(event(DONE));
        },
        async (agent) => {
          const stream = client(agent, { streamTimeoutMs: 200 }).stream(request());
          try {
            const first = await stream.next();
            expect((first.value as AgentStreamEvent[])[0]!.event).toEqual({ type: 'token', content: 'a' });
            await delay(600); // the caller holds the stream: the gateway is not reading
            const second = await stream.next();
            expect((second.value as AgentStreamEvent[])[0]!.event).toEqual(DONE);
          } finally {
            await stream.return(undefined);
          }
        },
      );
    });
  });

  describe('AgentClient protocol errors', () => {
    it.each([
      ['not JSON', 'data: {not json}\n\n'],
      ['a truncated object', 'data: {"type":"token"\n\n'],
      ['empty data', 'data:\n\n'],
      ['an array', 'data: [1,2]\n\n'],
      ['a string', 'data: "token"\n\n'],
      ['a number', 'data: 42\n\n'],
      ['null', 'data: null\n\n'],
      ['an object without type', event({ content: 'a' })],
      ['a non-string type', event({ type: 1 })],
      ['a token whose content is not a string', event({ type: 'token', content: 5 })],
      ['a token without content', event({ type: 'token' })],
      ['an unterminated token (not JSON)', 'data: {"type":"token","content":"}\n\n'],
      ['a tool_call without name', event({ type: 'tool_call', tool_call_id: 'c', arguments: {} })],
      ['a tool_call whose arguments are not an object', event({ type: 'tool_call', tool_call_id: 'c', name: 'n', arguments: [] })],
      ['a done whose finish_reason is not a string', event({ type: 'done', finish_reason: 1 })],
      ['an error without message', event({ type: 'error', code: 'x' })],
      ['an error whose retryable is not a boolean', event({ type: 'error', code: 'x', message: 'm', retryable: 'yes' })],
    ])('%s → agent_protocol_error, after the events before it', async (_name, bad) => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event({ type: 'token', content: 'ok' }) + bad + event(DONE));
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          const gatewayError = expectGatewayError(error, 'agent_protocol_error');
          expect(gatewayError.retryable).toBe(false);
          expect(eventsOf(events)).toEqual([{ type: 'token', content: 'ok' }]);
        },
      );
    });

    it('enforces maxEventBytes on the UTF-8 size of the data, exactly', async () => {
      const max = 100;
      const dataOf = (content: string) => JSON.stringify({ type: 'token', content });
      const room = max - Buffer.byteLength(dataOf(''));
      const twoByte = 'é'.repeat(Math.floor(room / 2));
      const fits = dataOf(twoByte + 'a'.repeat(room % 2)); // exactly max bytes
      const over = dataOf(twoByte + 'a'.repeat((room % 2) + 1)); // max + 1 bytes, far fewer UTF-16 units than max
      expect(Buffer.byteLength(fits)).toBe(max);
      expect(Buffer.byteLength(over)).toBe(max + 1);
      expect(over.length).toBeLessThanOrEqual(max);

      await withAgent(
        (_req, res, _recorded, index) => {
          sse(res);
          res.end(`data: ${index === 0 ? fits : over}\n\n` + event(DONE));
        },
        async (agent) => {
          const agentClient = client(agent, { maxEventBytes: max });
          const ok = await collect(agentClient);
          expect(ok.error).toBeUndefined();
          expect(ok.events).toHaveLength(2);
          const tooBig = await collect(agentClient);
          expectGatewayError(tooBig.error, 'agent_protocol_error');
          expect(tooBig.events).toEqual([]);
        },
      );
    });

    it('counts the joined lines of a multi-line event against maxEventBytes', async () => {
      const line = 'x'.repeat(40);
      await withAgent(
        (_req, res) => {
          sse(res);
          // Each line is small; together (with the \n joins) they are over 100 bytes.
          res.end(`data: {"type":"token","content":"a","p":"${line}",\n` + `data: "q":"${line}"}\n\n` + event(DONE));
        },
        async (agent) => {
          const { error } = await collect(client(agent, { maxEventBytes: 100 }));
          expectGatewayError(error, 'agent_protocol_error');
        },
      );
    });

    it('comment, id and event lines are ignored however long and however split; a data line past what the parser holds fails, with the limits', async () => {
      const split = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
      const run = (chunks: string[]) =>
        collect(new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 100, fetch: chunkedFetch(chunks) }));
      const long = 'c'.repeat(200_000);
      const token = { type: 'token', content: 'a' };
      for (const stream of [
        `: ${long}\n` + event(DONE),
        `id: ${long}\r\n` + event(token, '\r\n') + event(DONE),
        `data: {"type":"token",\revent: ${long}\rdata: "content":"a"}\r\r` + event(DONE),
        `retry: ${long}\n${long}\n:\n` + event(DONE),
        // Fields whose names only start like `data`: not data.
        `datax: ${long}\ndata : ${long}\n` + event(DONE),
      ]) {
        const expected = stream.includes('"a"') ? [token, DONE] : [DONE];
        for (const size of [stream.length, 4096, 7, 1]) {
          const { events, error } = await run(split(stream, size));
          expect({ size, error }).toEqual({ size, error: undefined });
          expect(eventsOf(events)).toEqual(expected);
        }
      }
      for (const size of [4096, 1]) {
        const { error } = await run(split(`data: ${long}\n\n`, size));
        expectGatewayError(error, 'agent_protocol_error');
        expect((error as GatewayError).message).toMatch(/^an event or a data line of the stream is larger than 100 bytes of data plus 65536 characters$/);
        expect((error as GatewayError).details).toEqual({ max_event_bytes: 100, max_line_chars: 100 + 65_536 });
      }
    });

    it('an event of more data lines than MAX_EVENT_BYTES / 16 fails however short they are; events of many lines each, and one at the bound, pass', async () => {
      const maxEventBytes = 32 * 1024;
      const bound = maxDataLinesOf(maxEventBytes);
      expect(bound).toBe(2048);
      const run = (chunks: string[]) =>
        collect(new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes, fetch: chunkedFetch(chunks) }));
      // One-character lines, no blank line: far under the bytes it may hold, over the lines.
      const token = { type: 'token', content: 'a' };
      const lines = (count: number) => Array.from({ length: count }, () => 'data: 1\n').join('');
      const failed = await run([event(token), lines(1500), lines(1500), lines(1500), '\n', event(DONE)]);
      expectGatewayError(failed.error, 'agent_protocol_error');
      expect((failed.error as GatewayError).message).toBe('an event of the stream has more than 2048 data lines');
      expect((failed.error as GatewayError).details).toEqual({ max_event_bytes: maxEventBytes, max_data_lines: 2048 });
      expect(eventsOf(failed.events)).toEqual([token]);
      // An object written over `bound` lines, read in pieces, and many events of 100 lines each: relayed.
      const tall = (content: string, count: number) => `data: {"type":"token",\n${'data: \n'.repeat(count - 3)}data: "content":${JSON.stringify(content)}\ndata: }\n\n`;
      const pieces = tall('x', bound).match(/[^]{1,700}/g)!;
      const passed = await run([...pieces, ...Array.from({ length: 60 }, () => tall('y', 100)), event(DONE)]);
      expect(passed.error).toBeUndefined();
      expect(eventsOf(passed.events)).toEqual([{ type: 'token', content: 'x' }, ...Array.from({ length: 60 }, () => ({ type: 'token', content: 'y' })), DONE]);
      // Each line read in two, its value starting a read with `data`: counted once, not twice.
      const split = ['data: {"type":"token","content":"x","pad":[\n', ...Array.from({ length: bound - 2 }, () => ['data: "', 'data:x",\n']).flat(), 'data: 0]}\n\n'];
      const once = await run([...split, event(DONE)]);
      expect(once.error).toBeUndefined();
      expect(eventsOf(once.events)).toEqual([{ type: 'token', content: 'x', pad: expect.any(Array) }, DONE]);
    });

    it('a data line past what the parser holds, in the chunk of events before it: those are relayed first, and a terminal one among them ends the turn (§4)', async () => {
      const run = (chunks: string[]) =>
        collect(new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 100, fetch: chunkedFetch(chunks) }));
      const token = { type: 'token', content: 'a' };
      // Read in one chunk with the events before it, and not yet ended there: already too long.
      const tooLong = `data: ${'x'.repeat(70_000)}`;
      // The terminal event comes before the long line.
      const ended = await run([event(token) + event(token) + event(DONE) + tooLong, '\n\n']);
      expect(ended.error).toBeUndefined();
      expect(eventsOf(ended.events)).toEqual([token, token, DONE]);
      // The long line before the terminal event: what came before it, then the failure, nothing after it.
      const failed = await run([event(token) + tooLong, `\n\n${event({ type: 'token', content: 'after' })}${event(DONE)}`]);
      expectGatewayError(failed.error, 'agent_protocol_error');
      expect(eventsOf(failed.events)).toEqual([token]);
    });

    it('a byte order mark starts the stream and is dropped, however split; the same bytes read as Latin-1 are no mark (§4: UTF-8)', async () => {
      const run = (chunks: Uint8Array[]) =>
        collect(new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1000, fetch: chunkedFetch(chunks) }));
      const token = { type: 'token', content: 'a' };
      const bytes = (text: string) => new TextEncoder().encode(text);
      // A real mark (EF BB BF) before the first field: the first event is read.
      const marked = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(event(token) + event(DONE))]);
      // U+00EF U+00BB U+00BF, the mark's bytes decoded as Latin-1 and sent as UTF-8: a field named `ï»¿data`,
      // ignored, whether or not an ignored line comes before it in the same or another chunk.
      const mojibake = bytes(`\u00ef\u00bb\u00bf${event(token)}` + event(DONE));
      const afterComment = bytes(`: c\n\u00ef\u00bb\u00bf${event(token)}` + event(DONE));
      for (const size of [1, 2, 3, 4, 1000]) {
        const split = (all: Uint8Array) => Array.from({ length: Math.ceil(all.length / size) }, (_, i) => all.subarray(i * size, (i + 1) * size));
        expect({ size, events: eventsOf((await run(split(marked))).events) }).toEqual({ size, events: [token, DONE] });
        expect({ size, events: eventsOf((await run(split(mojibake))).events) }).toEqual({ size, events: [DONE] });
        expect({ size, events: eventsOf((await run(split(afterComment))).events) }).toEqual({ size, events: [DONE] });
      }
    });

    it('fails an oversized event that never ends without waiting for its end or for the timeout', async () => {
      await withAgent(
        async (_req, res) => {
          sse(res);
          res.write('data: {"type":"token","content":"');
          const piece = 'x'.repeat(16 * 1024);
          for (let i = 0; i < 64 && !res.destroyed; i++) {
            if (!res.write(piece)) await writable(res);
          }
          // and then nothing: the event never ends
        },
        async (agent) => {
          const started = performance.now();
          const { error } = await collect(client(agent, { maxEventBytes: 1000, streamTimeoutMs: 20_000 }));
          expectGatewayError(error, 'agent_protocol_error');
          expect(performance.now() - started).toBeLessThan(10_000);
          await agent.requests[0]!.socketClosed;
        },
      );
    });

    it('a 2xx answer that is not text/event-stream → agent_protocol_error (the agent did accept it)', async () => {
      for (const contentType of ['application/json', 'text/plain', undefined]) {
        await withAgent(
          (_req, res) => {
            if (contentType) res.setHeader('content-type', contentType);
            res.writeHead(200);
            res.end(JSON.stringify(DONE));
          },
          async (agent) => {
            const onAccepted = vi.fn();
            const { events, error } = await collect(client(agent), request({ onAccepted }));
            expectGatewayError(error, 'agent_protocol_error');
            expect(events).toEqual([]);
            // protocol.md §6: a 2xx answer is what marks the message accepted.
            expect(onAccepted).toHaveBeenCalledTimes(1);
          },
        );
      }
    });
  });

  describe('AgentClient answers without a body', () => {
    it.each([204, 205])('%i, even labelled text/event-stream → agent_protocol_error', async (status) => {
      await withAgent(
        (_req, res) => {
          res.writeHead(status, { 'content-type': 'text/event-stream' });
          res.end();
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          expectGatewayError(error, 'agent_protocol_error');
          expect((error as Error).message).toBe(`the agent answered ${status} with no body, not an event stream`);
          expect(events).toEqual([]);
        },
      );
    });
  });

  describe('AgentClient failures', () => {
    it('a stream that ends before a terminal event → agent_stream_interrupted, after the events it had', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event({ type: 'token', content: 'a' }) + event({ type: 'token', content: 'b' }));
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          const gatewayError = expectGatewayError(error, 'agent_stream_interrupted');
          expect(gatewayError.retryable).toBe(true);
          expect(eventsOf(events)).toEqual([
            { type: 'token', content: 'a' },
            { type: 'token', content: 'b' },
          ]);
        },
      );
    });

    it('a terminal event left unfinished at the end of the stream is not an event', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end('data: {"type":"done","finish_reason":"stop"}\n'); // no blank line
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          expectGatewayError(error, 'agent_stream_interrupted');
          expect(events).toEqual([]);
        },
      );
    });

    it('a connection broken mid-stream → agent_stream_interrupted', async () => {
      await withAgent(
        async (_req, res) => {
          sse(res);
          res.write(event({ type: 'token', content: 'a' }));
          await delay(20);
          res.socket?.destroy();
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          expectGatewayError(error, 'agent_stream_interrupted');
          expect(eventsOf(events)).toEqual([{ type: 'token', content: 'a' }]);
        },
      );
    });

    // Deno's fetch (the web transport) waits ABORT_GRACE_MS for an answer after an abort; Node's closes the connection at once.
    it.each([
      [200, 1],
      [500, 0],
    ])('an answer that comes after the caller aborted, within the grace: %i counts as accepted %i time(s) (§6)', async (status, accepted) => {
      let callerAborted!: () => void;
      const aborted = new Promise<void>((resolve) => (callerAborted = resolve));
      await withAgent(
        async (_req, res) => {
          await aborted;
          if (status === 200) {
            sse(res);
            res.end(event(DONE));
          } else {
            res.writeHead(status).end();
          }
        },
        async (agent) => {
          const onAccepted = vi.fn();
          const controller = new AbortController();
          const outcome = collect(client(agent), request({ signal: controller.signal, onAccepted }));
          await agent.request(0);
          controller.abort(new Error('cancelled'));
          callerAborted();
          const { events, error } = await outcome;
          expect(error).toBeInstanceOf(UpstreamAborted);
          expect(events).toEqual([]);
          // On Node the abort closed the connection before the agent could answer: nothing to accept.
        expect(onAccepted).toHaveBeenCalledTimes(transport === 'web' ? accepted : 0);
        },
      );
    });

    it('connection refused → agent_unavailable', async () => {
      const port = await closedPort();
      const onAccepted = vi.fn();
      const agentClient = new AgentClient({
        agentUrl: `http://127.0.0.1:${port}`,
        internalApiKey: undefined,
        streamTimeoutMs: 5000,
        maxEventBytes: 1000,
      });
      const { events, error } = await collect(agentClient, request({ onAccepted }));
      const gatewayError = expectGatewayError(error, 'agent_unavailable');
      expect(gatewayError.retryable).toBe(true);
      expect(events).toEqual([]);
      expect(onAccepted).not.toHaveBeenCalled();
    });

    it('a connection reset before the headers → agent_unavailable', async () => {
      await withAgent(
        (req) => {
          req.socket.destroy();
        },
        async (agent) => {
          const { error } = await collect(client(agent));
          expectGatewayError(error, 'agent_unavailable');
        },
      );
    });

    it('silence before the headers → agent_timeout, and the request is aborted', async () => {
      await withAgent(
        () => {
          // never answers
        },
        async (agent) => {
          const started = performance.now();
          const { error } = await collect(client(agent, { streamTimeoutMs: 300 }));
          const gatewayError = expectGatewayError(error, 'agent_timeout');
          expect(gatewayError.retryable).toBe(true);
          expect(performance.now() - started).toBeGreaterThanOrEqual(290);
          await agent.requests[0]!.socketClosed;
        },
      );
    });

    it('silence after the headers → agent_timeout, and the request is aborted', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
        },
        async (agent) => {
          const started = performance.now();
          const { events, error } = await collect(client(agent, { streamTimeoutMs: 300 }));
          expectGatewayError(error, 'agent_timeout');
          expect(events).toEqual([]);
          expect(performance.now() - started).toBeGreaterThanOrEqual(290);
          await agent.requests[0]!.socketClosed;
        },
      );
    });

    it('silence after some events → agent_timeout, measured from the last byte', async () => {
      await withAgent(
        async (_req, res) => {
          sse(res);
          // Gaps shorter than the timeout, together longer than it.
          for (const content of ['a', 'b', 'c']) {
            if (res.destroyed) return;
            res.write(event({ type: 'token', content }));
            await delay(150);
          }
        },
        async (agent) => {
          const { events, error } = await collect(client(agent, { streamTimeoutMs: 400 }));
          expectGatewayError(error, 'agent_timeout');
          expect(eventsOf(events)).toEqual([
            { type: 'token', content: 'a' },
            { type: 'token', content: 'b' },
            { type: 'token', content: 'c' },
          ]);
        },
      );
    });
  });

  describe('AgentClient abort', () => {
    it('aborting mid-stream throws UpstreamAborted and closes the connection to the agent', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.write(event({ type: 'token', content: 'a' }));
        },
        async (agent) => {
          const controller = new AbortController();
          const stream = client(agent).stream(request({ signal: controller.signal }));
          const first = await stream.next();
          expect((first.value as AgentStreamEvent[])[0]!.event).toEqual({ type: 'token', content: 'a' });
          const pending = stream.next();
          controller.abort();
          await expect(pending).rejects.toBeInstanceOf(UpstreamAborted);
          await agent.requests[0]!.socketClosed;
        },
      );
    });

    it('aborting while the caller holds an event throws UpstreamAborted on the next pull', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.write(event({ type: 'token', content: 'a' }));
        },
        async (agent) => {
          const controller = new AbortController();
          const stream = client(agent).stream(request({ signal: controller.signal }));
          await stream.next();
          controller.abort();
          await expect(stream.next()).rejects.toBeInstanceOf(UpstreamAborted);
          await agent.requests[0]!.socketClosed;
        },
      );
    });

    it('aborting while waiting for the headers throws UpstreamAborted and closes the connection', async () => {
      await withAgent(
        () => {
          // never answers
        },
        async (agent) => {
          const controller = new AbortController();
          const stream = client(agent).stream(request({ signal: controller.signal }));
          const pending = stream.next();
          await agent.request(0);
          controller.abort();
          await expect(pending).rejects.toBeInstanceOf(UpstreamAborted);
          await agent.requests[0]!.socketClosed;
        },
      );
    });

    it('a signal already aborted throws UpstreamAborted', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.end(event(DONE));
        },
        async (agent) => {
          const { error } = await collect(client(agent), request({ signal: AbortSignal.abort() }));
          expect(error).toBeInstanceOf(UpstreamAborted);
        },
      );
    });
  });

  describe('AgentClient HTTP statuses', () => {
    it.each([
      [401, 'agent_auth_failed'],
      [403, 'agent_auth_failed'],
      [400, 'agent_rejected'],
      [404, 'agent_rejected'],
      [422, 'agent_rejected'],
      [500, 'agent_unavailable'],
      [502, 'agent_unavailable'],
      [503, 'agent_unavailable'],
    ])('HTTP %i → %s, and the message is not accepted', async (status, code) => {
      await withAgent(
        (_req, res) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end('{"detail":"no"}');
        },
        async (agent) => {
          const onAccepted = vi.fn();
          const { events, error } = await collect(client(agent), request({ onAccepted }));
          expectGatewayError(error, code);
          expect(events).toEqual([]);
          expect(onAccepted).not.toHaveBeenCalled();
        },
      );
    });

    it('keeps the start of a refusal\'s body as its cause, for the log (the IDE gets the status only)', async () => {
      await withAgent(
        (_req, res) => {
          res.writeHead(422, { 'content-type': 'application/json' });
          res.end(`{"detail":\n  "message.metadata.scenario: unknown scenario"}${' '.repeat(2000)}tail`);
        },
        async (agent) => {
          const { error } = await collect(client(agent), request());
          const refusal = expectGatewayError(error, 'agent_rejected');
          expect(refusal.message).toBe('the agent rejected the request (HTTP 422)');
          expect(refusal.details).toEqual({ status: 422 });
          expect(refusal.cause).toBe('the agent\'s answer: {"detail":   "message.metadata.scenario: unknown scenario"}');
        },
      );
    });

    it('takes the internal API key out of a refusal\'s body before cutting it, so no part of it is left at the cut', async () => {
      const key = 'internal  key-with  spaces-0123456789';
      await withAgent(
        (_req, res) => {
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(`${'x'.repeat(1000)}${key} and ${key}`);
        },
        async (agent) => {
          const { error } = await collect(client(agent, { internalApiKey: key }), request());
          const cause = String(expectGatewayError(error, 'agent_rejected').cause);
          // The first key spans the cut at 1,024 characters (1,000–1,036): taken out whole; what follows the cut is left out.
          expect(cause).toBe(`the agent's answer: ${'x'.repeat(1000)}[REDACTED]`);
          expect(cause).not.toContain('internal');
        },
      );
    });

    it('leaves nothing of the internal API key when a refusal\'s body stops in the middle of it', async () => {
      const key = 'internal-api-key-0123456789abcdef';
      await withAgent(
        (_req, res) => {
          res.writeHead(401, { 'content-type': 'text/plain' });
          // The rest would come after the 0.5 s the gateway gives it.
          res.write(`bad key: ${key.slice(0, 24)}`);
        },
        async (agent) => {
          const { error } = await collect(client(agent, { internalApiKey: key }), request());
          expect(expectGatewayError(error, 'agent_auth_failed').cause).toBe('the agent\'s answer: bad key:');
        },
      );
    });

    it('takes the internal API key out of a refusal\'s body in its JSON-escaped form too, whole or begun', async () => {
      const key = 'key"with\\quote-0123456789abcdef';
      const escaped = JSON.stringify(key).slice(1, -1);
      await withAgent(
        (_req, res) => {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.write(`{"error":"bad key ${escaped}","echo":"${escaped.slice(0, 12)}`);
        },
        async (agent) => {
          const { error } = await collect(client(agent, { internalApiKey: key }), request());
          expect(expectGatewayError(error, 'agent_auth_failed').cause).toBe('the agent\'s answer: {"error":"bad key [REDACTED]","echo":"');
        },
      );
    });

    it('gives up a refusal\'s body that does not end, with what came of it', async () => {
      await withAgent(
        (_req, res) => {
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.write('overloaded, try ');
        },
        async (agent) => {
          const { error } = await collect(client(agent), request());
          expect(expectGatewayError(error, 'agent_unavailable').cause).toBe('the agent\'s answer: overloaded, try');
        },
      );
    });

    it('HTTP 429 → agent_rate_limited with retry_after_ms from Retry-After', async () => {
      await withAgent(
        (_req, res) => {
          res.writeHead(429, { 'retry-after': '3' });
          res.end();
        },
        async (agent) => {
          const onAccepted = vi.fn();
          const { error } = await collect(client(agent), request({ onAccepted }));
          const gatewayError = expectGatewayError(error, 'agent_rate_limited');
          expect(gatewayError.retryable).toBe(true);
          expect(gatewayError.retryAfterMs).toBe(3000);
          expect(onAccepted).not.toHaveBeenCalled();
        },
      );
    });

    it('a redirect → agent_rejected, not followed', async () => {
      await withAgent(
        (_req, res) => {
          res.writeHead(307, { location: '/elsewhere' });
          res.end();
        },
        async (agent) => {
          const onAccepted = vi.fn();
          const { error } = await collect(client(agent), request({ onAccepted }));
          expectGatewayError(error, 'agent_rejected');
          expect(agent.requests.map((r) => r.url)).toEqual(['/agent/message/stream']);
          expect(onAccepted).not.toHaveBeenCalled();
        },
      );
    });
  });

  describe('AgentClient connection reuse', () => {
    it('after a terminal event, reads the rest of the body so the next request reuses the connection', async () => {
      const recorder = recordingFetch();
      await withAgent(
        async (_req, res, _recorded, index) => {
          sse(res);
          if (index === 0) {
            res.write(event({ type: 'token', content: 'a' }) + event(DONE));
            await delay(50);
            res.end(': trailing bytes after the terminal event\n\n');
          } else {
            res.end(event(DONE));
          }
        },
        async (agent) => {
          const agentClient = client(agent, { fetch: recorder.fetch });
          const first = await collect(agentClient);
          expect(first.error).toBeUndefined();
          expect(eventsOf(first.events)).toEqual([{ type: 'token', content: 'a' }, DONE]);
          // The body was read to its end rather than aborted.
          expect(await recorder.bodies[0]!.outcome).toBe('ended');
          // undici hands a finished connection back to its pool on the next setImmediate.
          await new Promise((resolve) => setImmediate(resolve));
          const second = await collect(agentClient);
          expect(second.error).toBeUndefined();
          expect(agent.requests).toHaveLength(2);
          expect(agent.requests[1]!.socket).toBe(agent.requests[0]!.socket);
          expect(agent.connections()).toBe(1);
        },
      );
    });

    it('a body read to its end is never aborted: drained after a terminal event, left alone after a cut', async () => {
      const cancels: string[] = [];
      const clientOf = (chunks: string[]) =>
        new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1000, fetch: chunkedFetch(chunks, (afterAbort) => cancels.push(afterAbort ? 'cancelled after an abort' : 'cancelled')) });
      const ended = await collect(clientOf([event(DONE)]));
      expect(eventsOf(ended.events)).toEqual([DONE]);
      // The rest of the body is drained in the background: let it reach its end.
      await vi.waitFor(() => expect(cancels).toEqual(['cancelled']));
      // A stream that ends before a terminal event: its connection is back in the pool, nothing to abort.
      cancels.length = 0;
      const cut = await collect(clientOf([event({ type: 'token', content: 'a' })]));
      expectGatewayError(cut.error, 'agent_stream_interrupted');
      expect(cancels).toEqual([]);
    });

    it('gives up draining a body that does not end within 1 s: the connection is closed', async () => {
      await withAgent(
        (_req, res) => {
          sse(res);
          res.write(event(DONE)); // and the body never ends
        },
        async (agent) => {
          const started = performance.now();
          const { events, error } = await collect(client(agent));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([DONE]);
          await agent.requests[0]!.socketClosed;
          expect(performance.now() - started).toBeGreaterThanOrEqual(900);
        },
      );
    });

    it('gives up draining more than 64 KiB after the terminal event: the connection is closed', async () => {
      await withAgent(
        async (_req, res) => {
          sse(res);
          res.write(event(DONE));
          const comment = `: ${'x'.repeat(1021)}\n`;
          for (let i = 0; i < 256 && !res.destroyed; i++) {
            if (!res.write(comment)) await writable(res);
          }
          // 256 KiB sent and still open
        },
        async (agent) => {
          const { events, error } = await collect(client(agent));
          expect(error).toBeUndefined();
          expect(eventsOf(events)).toEqual([DONE]);
          await agent.requests[0]!.socketClosed;
        },
      );
    });
  });

  describe('AgentClient.probe', () => {
    it('is true on 2xx and false otherwise, without following redirects', async () => {
      await withAgent(
        (req, res) => {
          const status = req.url === '/health' ? 200 : req.url === '/moved' ? 302 : 503;
          res.writeHead(status, status === 302 ? { location: '/health' } : {});
          res.end('{}');
        },
        async (agent) => {
          const agentClient = client(agent);
          expect(await agentClient.probe('/health', 2000)).toEqual({ healthy: true });
          expect(await agentClient.probe('/down', 2000)).toEqual({ healthy: false, reason: 'HTTP 503' });
          expect(await agentClient.probe('/moved', 2000)).toEqual({ healthy: false, reason: 'HTTP 302' });
          expect(agent.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
          expect(agent.requests.map((r) => r.url)).toEqual(['/health', '/down', '/moved']);
        },
      );
    });

    it('sends the internal API key, and says why the agent is not healthy', async () => {
      await withAgent(
        (req, res) => {
          res.writeHead(req.url === '/health' ? 200 : 503);
          res.end();
        },
        async (agent) => {
          const keyed = client(agent, { internalApiKey: 'k-1' });
          expect(await keyed.probe('/health', 2000)).toEqual({ healthy: true });
          expect(await keyed.probe('/down', 2000)).toEqual({ healthy: false, reason: 'HTTP 503' });
          expect(agent.requests.map((r) => r.headers['x-internal-api-key'])).toEqual(['k-1', 'k-1']);
        },
      );
      const port = await closedPort();
      const unreachable = new AgentClient({ agentUrl: `http://127.0.0.1:${port}`, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1000 });
      expect(await unreachable.probe('/health', 2000)).toEqual({ healthy: false, reason: 'ECONNREFUSED' });
      const stop = new AbortController();
      stop.abort();
      expect(await unreachable.probe('/health', 2000, stop.signal)).toEqual({ healthy: false, reason: 'the gateway is shutting down' });
    });

    it('gives a probe up at once when its time is out (AgentSilent: no transport grace)', async () => {
      let signal: AbortSignal | undefined;
      const hanging: AgentFetch = (_url, init) => {
        signal = init.signal;
        return new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
      };
      const probe = new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1000, fetch: hanging });
      expect(await probe.probe('/health', 20)).toEqual({ healthy: false, reason: 'no answer in 20 ms' });
      expect(signal!.reason).toBeInstanceOf(AgentSilent);
    });

    it('is false when the agent is unreachable or silent past the timeout', async () => {
      const port = await closedPort();
      const unreachable = new AgentClient({ agentUrl: `http://127.0.0.1:${port}`, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1000 });
      expect((await unreachable.probe('/health', 2000)).healthy).toBe(false);
      await withAgent(
        () => {
          // never answers
        },
        async (agent) => {
          expect(await client(agent).probe('/health', 200)).toEqual({ healthy: false, reason: 'no answer in 200 ms' });
        },
      );
    });
  });

  describe('describeFetchError', () => {
    it('gives the system error code where the runtime has one (Node)', () => {
      expect(describeFetchError(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8001'), { code: 'ECONNREFUSED' }) }))).toBe('ECONNREFUSED');
      expect(describeFetchError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toBe('UND_ERR_SOCKET');
    });

    it.each([
      ['client error (Connect): tcp connect error: Connection refused (os error 111)', 'ECONNREFUSED'],
      ['client error (Connect): dns error: failed to lookup address information: Name or service not known', 'ENOTFOUND'],
      ['client error (SendRequest): connection error: Connection reset by peer (os error 104)', 'ECONNRESET'],
      ['client error (Connect): invalid peer certificate: UnknownIssuer', 'a TLS error'],
      ['something new', 'the connection failed'],
    ])('names Deno’s %j as %j, without its URL', (reason, expected) => {
      const error = new TypeError(`error sending request for url (http://tls-agent.internal:8001/agent/message/stream): ${reason}`);
      expect(describeFetchError(error)).toBe(expected);
    });
  });
});

describe('the drain after a terminal event, and bytesAfterEvent', () => {
  it('counts the rest of the body that came in the terminal event\'s own read toward the 64 KiB: past it, gives up without reading more', async () => {
    // What happens to the body after the terminal event, in order: `read` (a read after it), `aborted`, `ended`.
    const drainOf = (first: string, rest: string[]) => {
      const log: string[] = [];
      const chunks = chunkedFetch([first, ...rest]);
      const fetch: AgentFetch = async (url, init) => {
        init.signal.addEventListener('abort', () => log.push('aborted'));
        const res = await chunks(url, init);
        const reader = res.body!.getReader();
        let reads = 0;
        const logged: AgentBodyReader = {
          read: async () => {
            if (reads++ > 0) log.push('read');
            const chunk = await reader.read();
            if (chunk.done) log.push('ended');
            return chunk;
          },
          cancel: () => reader.cancel(),
        };
        return { ...res, body: { ...res.body!, getReader: () => logged } };
      };
      const agentClient = new AgentClient({ agentUrl: 'http://agent.invalid', internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1000, fetch });
      return { agentClient, log };
    };
    const comment = (bytes: number) => `: ${'x'.repeat(bytes - 3)}\n`;

    // 65 KiB behind `done` in one read (one write of the agent): aborted before any further read.
    const over = drainOf(event({ type: 'token', content: 'a' }) + event(DONE) + comment(65 * 1024), []);
    expect(eventsOf((await collect(over.agentClient)).events)).toEqual([{ type: 'token', content: 'a' }, DONE]);
    await vi.waitFor(() => expect(over.log).not.toEqual([]));
    expect(over.log).toEqual(['aborted']);

    // 30 KiB behind it, 30 KiB more, then the end: 60 KiB, read to its end, never aborted.
    const under = drainOf(event(DONE) + comment(30 * 1024), [comment(30 * 1024)]);
    expect(eventsOf((await collect(under.agentClient)).events)).toEqual([DONE]);
    await vi.waitFor(() => expect(under.log).toContain('ended'));
    expect(under.log).toEqual(['read', 'read', 'ended']);

    // 60 KiB behind it, then 5 KiB: past 64 KiB with the second read, aborted then.
    const later = drainOf(event(DONE) + comment(60 * 1024), [comment(5 * 1024), comment(1024)]);
    await collect(later.agentClient);
    await vi.waitFor(() => expect(later.log).toContain('aborted'));
    expect(later.log).toEqual(['read', 'aborted']);
  });

  it('is what follows the event\'s blank line, in UTF-8 bytes, for any line ends and an optional space after data:', () => {
    const done = '{"type":"done","finish_reason":"stop"}';
    expect(bytesAfterEvent(`data: ${done}\n\n: é\n`, done)).toBe(5);
    expect(bytesAfterEvent(`data: {"type":"token","content":"a"}\n\ndata:${done}\r\n\r\nabc`, done)).toBe(3);
    expect(bytesAfterEvent(`data: ${done}\r\r`, done)).toBe(0);
    // An event of megabytes (a regular expression of it would be too large to compile).
    const large = JSON.stringify({ type: 'error', code: 'x', message: 'x'.repeat(1 << 20) });
    expect(bytesAfterEvent(`data: ${large}\n\nabc`, large)).toBe(3);
    // One space after the colon is the field's: a value that starts with a space has two.
    expect(bytesAfterEvent('data:  {"type":"done"}\n\nab', ' {"type":"done"}')).toBe(2);
    expect(bytesAfterEvent('data: {"type":"done"}\n\nab', ' {"type":"done"}')).toBe(0);
    // Data of several lines, and characters that mean something to a regular expression.
    expect(bytesAfterEvent('data: {"type":"error",\r\ndata: "message":"a+b (c) [d] $1 \\\\ ^"}\n\nxy', '{"type":"error",\n"message":"a+b (c) [d] $1 \\\\ ^"}')).toBe(2);
  });

  it('is 0 when the event is not there as data lines from a line\'s start, or lacks its blank line', () => {
    const done = '{"type":"done"}';
    // Its first lines in an earlier chunk, the rest of many equal lines: tried from each, then given up.
    expect(bytesAfterEvent(`${'data:\n'.repeat(10_000)}data: ${done}\n\nrest`, `${'\n'.repeat(20_000)}${done}`)).toBe(0);
    expect(bytesAfterEvent(`a: ${done}\n\nrest`, done)).toBe(0);
    expect(bytesAfterEvent(`data: ${done}\nid: 1\n\nrest`, done)).toBe(0);
    expect(bytesAfterEvent(`data: ${done}\nrest`, done)).toBe(0);
  });
});
