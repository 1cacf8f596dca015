import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { GatewayProcess, Runtime } from '../support/gateway-process.ts';
import { agentRequest, byRequestId, INTERNAL_KEY, scenario, uniqueRequest, uniqueSession, useGateway, withGateway } from '../support/harness.ts';
import { directEvents, tokenText } from '../support/direct.ts';
import { connect, isTerminal, type Frame, type TestClient } from '../support/ws-client.ts';

const contentOf = (frames: Frame[], requestId: string) =>
  frames.filter((f) => f.request_id === requestId && f.type === 'token').map((f) => f.content as string).join('');

/**
 * A gateway over an agent that answers every request with `body` (an event stream, as written), after
 * what `interim` writes first, and a client on a session of its own; all closed afterwards.
 */
async function withRawAgent(
  runtime: Runtime,
  body: string,
  fn: (gateway: GatewayProcess, client: TestClient) => Promise<void>,
  interim?: (res: ServerResponse) => void,
): Promise<void> {
  const agent = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      interim?.(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
  });
  agent.listen(0, '127.0.0.1');
  try {
    await once(agent, 'listening');
    const url = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
    await withGateway(runtime, { url }, {}, async (gateway) => {
      const client = await connect(`${gateway.url.replace(/^http/, 'ws')}/ws/${uniqueSession()}`);
      try {
        await fn(gateway, client);
      } finally {
        await client.close();
      }
    });
  } finally {
    agent.closeAllConnections();
    agent.close();
  }
}

/** Relaying: envelope, order, exact content, framing (protocol.md §3–§5, §7). */
export function relaySuite(runtime: Runtime) {
  describe(`relay [${runtime}]`, () => {
    const env = useGateway(runtime);

    it('relays an agent event as the agent wrote it: a 64-bit integer digit for digit, 1.0 and 1e3 as written, its own seq and request_id replaced (§4, §5)', async () => {
      const toolCall = '{"type":"tool_call", "tool_call_id":"c1","name":"get_issue","seq":5,"arguments":{"issue_id":1234567890123456789,"ratio":1.0,"limit":1e3},"request_id":"agent-own"}';
      const done = '{"type":"done","finish_reason":"tool_calls","usage":{"input_tokens":12,"output_tokens":2.0}}';
      await withRawAgent(runtime, `data: ${toolCall}\n\ndata: ${done}\n\n`, async (_gateway, client) => {
        const texts: string[] = [];
        client.ws.on('message', (data) => texts.push(data.toString()));
        client.send({ type: 'user_message', content: 'go', request_id: 'r1' });
        await client.terminal('r1');
        expect(texts).toEqual([
          '{"type":"tool_call","tool_call_id":"c1","name":"get_issue","arguments":{"issue_id":1234567890123456789,"ratio":1.0,"limit":1e3},"request_id":"r1","seq":2}',
          '{"type":"done","finish_reason":"tool_calls","usage":{"input_tokens":12,"output_tokens":2.0},"request_id":"r1","seq":3}',
        ]);
      });
    });

    it('skips interim answers the agent sends before its final one: 100 Continue, unasked, and 103 Early Hints (§5; RFC 9110 §15.2)', async () => {
      const events = 'data: {"type":"token","content":"after 1xx"}\n\ndata: {"type":"done","finish_reason":"stop"}\n\n';
      const interim = (res: ServerResponse) => {
        res.writeContinue();
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        res.writeContinue();
      };
      await withRawAgent(
        runtime,
        events,
        async (_gateway, client) => {
          client.send({ type: 'user_message', content: 'go', request_id: 'r1' });
          const terminal = await client.terminal('r1');
          expect(terminal).toMatchObject({ type: 'done', finish_reason: 'stop' });
          expect(contentOf(client.frames, 'r1')).toBe('after 1xx');
        },
        interim,
      );
    });

    it('an agent echoing the internal API key as data that is not JSON: no part of the key in the error frame or the log (§1)', async () => {
      await withRawAgent(runtime, `data: ${INTERNAL_KEY} was the key\n\n`, async (gateway, client) => {
        client.send({ type: 'user_message', content: 'go', request_id: 'r1' });
        const error = await client.terminal('r1');
        expect(error).toMatchObject({ type: 'error', code: 'agent_protocol_error', message: expect.stringMatching(/not valid JSON/) });
        const line = await gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === 'r1');
        const said = JSON.stringify([error, line]);
        for (let at = 0; at + 6 <= INTERNAL_KEY.length; at++) expect(said).not.toContain(INTERNAL_KEY.slice(at, at + 6));
      });
    });

    it('a U+FEFF that starts a read is text, not a byte order mark: only the stream\'s first character may be one (§4)', async () => {
      // Each write is read apart: the next is written once the client has the event before it.
      const writes = [
        'data: {"type":"progress","n":1}\n\ndata: {"type":"token","content":"a',
        '\uFEFFb"}\n\ndata: {"type":"progress","n":2}\n\n',
        // A field named "\uFEFFdata" is no data field: the line is ignored.
        '\uFEFFdata: {"type":"token","content":"not data"}\n\ndata: {"type":"done","finish_reason":"stop"}\n\n',
      ];
      let client: TestClient | undefined;
      const agent = createServer((req, res) => {
        req.resume();
        req.on('end', async () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const [i, text] of writes.entries()) {
            res.write(text);
            if (i < writes.length - 1) await client!.next((f) => f.type === 'progress' && f.n === i + 1);
          }
          res.end();
        });
      });
      agent.listen(0, '127.0.0.1');
      try {
        await once(agent, 'listening');
        await withGateway(runtime, { url: `http://127.0.0.1:${(agent.address() as AddressInfo).port}` }, {}, async (gateway) => {
          client = await connect(`${gateway.url.replace(/^http/, 'ws')}/ws/${uniqueSession()}`);
          try {
            client.send({ type: 'user_message', content: 'go', request_id: 'r1' });
            expect(await client.terminal('r1')).toMatchObject({ type: 'done' });
            expect(contentOf(client.frames, 'r1')).toBe('a\uFEFFb');
          } finally {
            await client.close();
          }
        });
      } finally {
        agent.closeAllConnections();
        agent.close();
      }
    });

    it('sends session_started first, then frames with seq growing by exactly 1', async () => {
      const client = await env.connect('seq-check');
      expect(client.frames[0]).toMatchObject({ type: 'session_started', session_id: 'seq-check', protocol_version: 1, seq: 1 });
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'hi', request_id: id, ...scenario('tokens', { count: 20, delay_ms: 0 }) });
      await client.terminal(id);
      client.send({ type: 'ping', id: 'p1' });
      await client.next((f) => f.type === 'pong');
      expect(client.frames.map((f) => f.seq)).toEqual(client.frames.map((_, i) => i + 1));
    });

    it('POSTs the envelope with the headers of §3, extra fields forwarded, absent fields left out', async () => {
      const client = await env.connect('envelope');
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'hello', request_id: id, custom_field: { a: 1 }, ...scenario('tokens', { count: 1 }) });
      await client.terminal(id);
      const record = await agentRequest(env.agent, byRequestId(id));
      expect(record.headers['content-type']).toMatch(/^application\/json/);
      expect(record.headers.accept).toBe('text/event-stream');
      // Events must arrive as written: no compressed stream, on either runtime.
      expect(record.headers['accept-encoding']).toBe('identity');
      expect(record.headers['x-internal-api-key']).toBe(INTERNAL_KEY);
      expect(record.body).toEqual({
        session_id: 'envelope',
        request_id: id,
        message: { type: 'user_message', content: 'hello', request_id: id, custom_field: { a: 1 }, metadata: { scenario: { name: 'tokens', count: 1 } } },
      });

      client.send({ type: 'tool_result', tool_call_id: 'call-x', result: null, ...scenario('tokens', { count: 1 }) });
      const done = await client.next((f) => isTerminal(f) && f.request_id !== id);
      const generated = String(done.request_id);
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      const toolRecord = await agentRequest(env.agent, byRequestId(generated));
      const message = (toolRecord.body as { message: Record<string, unknown> }).message;
      expect(message).toEqual({ type: 'tool_result', tool_call_id: 'call-x', result: null, request_id: generated, metadata: { scenario: { name: 'tokens', count: 1 } } });
      expect('is_error' in message).toBe(false);
    });

    it('forwards the frame as received (§3): numbers keep their digits, deep nesting is relayed, not an error', async () => {
      const client = await env.connect('as-received');
      const id = uniqueRequest();
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      const raw = ` {"type":"user_message","content":"hi","request_id":"${id}","big":12345678901234567890,"one":1.0,"exp":1e2,"neg":-0,"deep":${deep},"metadata":{"scenario":"echo"}}`;
      client.sendRaw(raw);
      expect(await client.terminal(id)).toMatchObject({ type: 'done', request_id: id });
      // The echo scenario answers with the request body exactly as the agent received it.
      expect(contentOf(client.frames, id)).toBe(`{"session_id":"as-received","request_id":"${id}","message":${raw}}`);

      // Without a request_id, the one the gateway makes is added to the frame's text, nothing else changes.
      const rest = `"type":"tool_result","tool_call_id":"c1","result":{"n":1.50},"metadata":{"scenario":"echo"}}`;
      client.sendRaw(`{${rest}`);
      const done = await client.next((f) => isTerminal(f) && f.request_id !== id);
      const generated = String(done.request_id);
      expect(contentOf(client.frames, generated)).toBe(`{"session_id":"as-received","request_id":"${generated}","message":{"request_id":"${generated}",${rest}}`);
    });

    it.each([
      ['byte_chunks', {}],
      ['line_endings', { eol: 'crlf' }],
      ['line_endings', { eol: 'cr' }],
      ['line_endings', { eol: 'lf' }],
      ['multiline_data', {}],
      ['sse_fields', {}],
      ['slow', { count: 6, delay_ms: 5, keepalive_ms: 1 }],
    ])('relays %s %j exactly, in order, ending with done', async (name, params) => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario(name, params) });
      const terminal = await client.terminal(id);
      expect(terminal).toMatchObject({ type: 'done', request_id: id });
      const reference = await directEvents(env.agent.url, { type: 'user_message', content: 'go', ...scenario(name, params) });
      const content = contentOf(client.frames, id);
      expect(content.length).toBeGreaterThan(0);
      expect(content).toBe(tokenText(reference));
      // Nothing but relayed frames: keep-alive comments are not forwarded.
      for (const f of client.frameOf(id)) expect(['token', 'done', 'tool_call', 'progress']).toContain(f.type);
    });

    it('relays UTF-8 split across chunks exactly', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      const text = 'héllo 日本語 🚀 done';
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('byte_chunks', { text }) });
      await client.terminal(id);
      expect(contentOf(client.frames, id)).toBe(text);
    });

    it('coalesces token bursts into fewer frames with exactly the agent\'s content', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      const tokens = Array.from({ length: 200 }, (_, i) => `t${i};`);
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { tokens, delay_ms: 0 }) });
      await client.terminal(id);
      const tokenFrames = client.frameOf(id).filter((f) => f.type === 'token');
      expect(tokenFrames.map((f) => f.content).join('')).toBe(tokens.join(''));
      expect(tokenFrames.length).toBeLessThan(tokens.length);
      for (const f of tokenFrames) expect((f.content as string).length).toBeLessThanOrEqual(512);
    });

    it('passes unknown event types through unchanged, with request_id and seq set by the gateway', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('unknown_event') });
      await client.terminal(id);
      const progress = client.frameOf(id).find((f) => f.type === 'progress');
      expect(progress).toMatchObject({ type: 'progress', percent: 50, request_id: id });
      expect(typeof progress!.seq).toBe('number');
    });

    it('runs a whole tool round trip with the default agent', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'read package.json', request_id: id });
      const done = await client.terminal(id);
      expect(done).toMatchObject({ type: 'done', finish_reason: 'tool_calls' });
      const call = client.frameOf(id).find((f) => f.type === 'tool_call')!;
      expect(call).toMatchObject({ name: 'read_file', arguments: { path: 'package.json' } });
      const result = JSON.stringify({ name: 'demo-pkg', version: '1.2.3' }, null, 2);
      const id2 = uniqueRequest();
      client.send({ type: 'tool_result', tool_call_id: call.tool_call_id, result, request_id: id2 });
      const final = await client.terminal(id2);
      expect(final).toMatchObject({ type: 'done', finish_reason: 'stop' });
      expect(contentOf(client.frames, id2)).toContain('demo-pkg');
    });

    it('ends each turn with exactly one terminal frame and relays nothing after it', async () => {
      const client = await env.connect();
      const a = uniqueRequest();
      const b = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: a, ...scenario('data_after_done') });
      client.send({ type: 'user_message', content: 'go', request_id: b, ...scenario('never_end_after_done') });
      const c = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: c, ...scenario('tokens', { count: 2 }) });
      await client.terminal(c);
      for (const id of [a, b, c]) {
        const frames = client.frameOf(id);
        expect(frames.filter(isTerminal)).toHaveLength(1);
        expect(isTerminal(frames.at(-1)!)).toBe(true);
      }
    });
  });
}
