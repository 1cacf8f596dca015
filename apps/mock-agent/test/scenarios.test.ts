import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAgent, type MockAgentServer } from '../src/index.ts';
import { RawConnection, parseRawResponse } from './raw-http.ts';
import { STREAM_PATH, runScenario, sse, userMessage } from './helpers.ts';

// Every scenario's bytes as they leave the socket, read without an HTTP or SSE library.

let agent: MockAgentServer;
beforeAll(async () => {
  agent = await startMockAgent({ port: 0, tokenDelayMs: 0 });
});
afterAll(async () => {
  await agent?.close();
});

const token = (content: string) => ({ type: 'token', content });
const done = (finish_reason = 'stop') => ({ type: 'done', finish_reason });

const expectStream = async (scenario: unknown, expected: string) => {
  const res = await runScenario(agent.url, scenario);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/event-stream');
  expect(res.headers['cache-control']).toBe('no-cache');
  expect(res.body.toString('utf8')).toBe(expected);
  expect(res.complete).toBe(true);
  return res;
};

const lastRecord = () => agent.requests.at(-1)!;

describe('token streams', () => {
  it('tokens: five numbered tokens by default', async () => {
    await expectStream(
      'tokens',
      'data: {"type":"token","content":"0000"}\n\n' +
        'data: {"type":"token","content":"0001"}\n\n' +
        'data: {"type":"token","content":"0002"}\n\n' +
        'data: {"type":"token","content":"0003"}\n\n' +
        'data: {"type":"token","content":"0004"}\n\n' +
        'data: {"type":"done","finish_reason":"stop"}\n\n',
    );
    expect(lastRecord()).toMatchObject({ scenario: 'tokens', status: 200, aborted: false });
  });

  it('tokens: count and size', async () => {
    await expectStream({ name: 'tokens', count: 3, size: 2 }, sse(token('00'), token('01'), token('02'), done()));
  });

  it('tokens: given tokens, finish_reason and usage', async () => {
    await expectStream(
      { name: 'tokens', tokens: ['a', 'é'], finish_reason: 'length', usage: { input_tokens: 3, output_tokens: 2 } },
      sse(token('a'), token('é'), { type: 'done', finish_reason: 'length', usage: { input_tokens: 3, output_tokens: 2 } }),
    );
  });

  it('slow: keep-alive comments strictly between tokens', async () => {
    const comments = ': keep-alive\n\n: keep-alive\n\n';
    await expectStream(
      { name: 'slow', count: 3, delay_ms: 30, keepalive_ms: 10 },
      sse(token('0000')) + comments + sse(token('0001')) + comments + sse(token('0002'), done()),
    );
  });

  it('unknown_event: a progress event among tokens', async () => {
    await expectStream(
      'unknown_event',
      'data: {"type":"token","content":"before "}\n\n' +
        'data: {"type":"progress","percent":50}\n\n' +
        'data: {"type":"token","content":"after"}\n\n' +
        'data: {"type":"done","finish_reason":"stop"}\n\n',
    );
  });

  it('echo: the request body exactly as received', async () => {
    const body = userMessage('echo me', 'echo', { extra_field: { nested: [1, 'ü'] } });
    const connection = await RawConnection.open(agent.url);
    connection.post(STREAM_PATH, body, { 'x-request-id': 'r-1' });
    await connection.closed;
    const res = parseRawResponse(connection.received);
    expect(res.body.toString('utf8')).toBe(sse(token(body), done()));
  });

  it('ticks: tick events on a schedule, then done', async () => {
    const res = await runScenario(agent.url, { name: 'ticks', interval_ms: 10, duration_ms: 50 });
    const events = res.body
      .toString('utf8')
      .split('\n\n')
      .filter(Boolean)
      .map((block) => JSON.parse(block.replace(/^data: /, '')));
    expect(events.map((e) => e.type)).toEqual(['tick', 'tick', 'tick', 'tick', 'tick', 'done']);
    expect(events.slice(0, 5).map((e) => e.n)).toEqual([0, 1, 2, 3, 4]);
    const stamps = events.slice(0, 5).map((e) => e.emitted_at as number);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[0]!).toBeGreaterThanOrEqual(i * 10 - 2);
    expect(stamps.some((t) => !Number.isInteger(t))).toBe(true);
    expect(Math.abs(stamps[0]! - Date.now())).toBeLessThan(5000);
  });
});

describe('tool calls and agent errors', () => {
  it('tool_call: defaults, with a generated call_<n> id', async () => {
    const res = await runScenario(agent.url, 'tool_call');
    const text = res.body.toString('utf8');
    expect(text.replace(/"tool_call_id":"call_\d+"/, '"tool_call_id":"call_N"')).toBe(
      'data: {"type":"tool_call","tool_call_id":"call_N","name":"read_file","arguments":{"path":"package.json"}}\n\n' +
        'data: {"type":"done","finish_reason":"tool_calls"}\n\n',
    );
    const second = await runScenario(agent.url, 'tool_call');
    const id = (body: Buffer) => /"tool_call_id":"(call_\d+)"/.exec(body.toString())?.[1];
    expect(id(second.body)).not.toBe(id(res.body));
  });

  it('tool_call: given id, tool name and arguments', async () => {
    await expectStream(
      { name: 'tool_call', tool_call_id: 'c-9', tool_name: 'list_dir', arguments: { path: 'apps' } },
      sse({ type: 'tool_call', tool_call_id: 'c-9', name: 'list_dir', arguments: { path: 'apps' } }, done('tool_calls')),
    );
  });

  it('agent_error: defaults', async () => {
    await expectStream(
      'agent_error',
      'data: {"type":"error","code":"mock_error","message":"the mock agent failed on purpose"}\n\n',
    );
  });

  it('agent_error: tokens first, then the error with retryable', async () => {
    await expectStream(
      { name: 'agent_error', tokens_before: 2, code: 'overloaded', message: 'busy', retryable: true },
      sse(token('0000'), token('0001'), { type: 'error', code: 'overloaded', message: 'busy', retryable: true }),
    );
  });
});

describe('HTTP-level failures', () => {
  it('status: 429 with a raw Retry-After', async () => {
    const res = await runScenario(agent.url, { name: 'status', status: 429, retry_after: '7' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body.toString())).toEqual({ error: 'mock_status', message: 'mock agent answered 429' });
    expect(lastRecord()).toMatchObject({ scenario: 'status', status: 429, aborted: false });
  });

  it.each([401, 403, 422, 500, 503])('status: %i with the default body', async (code) => {
    const res = await runScenario(agent.url, { name: 'status', status: code });
    expect(res.status).toBe(code);
    expect(JSON.parse(res.body.toString())).toEqual({ error: 'mock_status', message: `mock agent answered ${code}` });
  });

  it.each([302, 307])('status: %i with a Location', async (code) => {
    const res = await runScenario(agent.url, { name: 'status', status: code });
    expect(res.status).toBe(code);
    expect(res.headers.location).toBe('/_mock/redirect-target');
  });

  it('status: custom body and location; an HTTP-date Retry-After passes through as is', async () => {
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    const res = await runScenario(agent.url, { name: 'status', status: 503, body: { busy: true }, retry_after: date });
    expect(res.headers['retry-after']).toBe(date);
    expect(res.body.toString()).toBe('{"busy":true}');
  });

  it('status: 204 has no body', async () => {
    const res = await runScenario(agent.url, { name: 'status', status: 204 });
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
  });

  it('wrong_content_type: 200 application/json', async () => {
    const res = await runScenario(agent.url, 'wrong_content_type');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body.toString()).toBe('{"type":"done","finish_reason":"stop"}');
  });

  it('reset_before_headers: the connection is reset and not one byte is answered', async () => {
    const connection = await RawConnection.open(agent.url);
    connection.post(STREAM_PATH, userMessage('hi', 'reset_before_headers'));
    const { error } = await connection.closed;
    expect(connection.received.length).toBe(0);
    expect((error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    const record = await agent.recorder.waitFor((r) => r.requests.find((q) => q.scenario === 'reset_before_headers' && q.endedAt));
    expect(record).toMatchObject({ status: null, aborted: false });
  });
});

describe('invalid event data', () => {
  const framed = (bad: string) =>
    `data: {"type":"token","content":"before"}\n\ndata: ${bad}\n\ndata: {"type":"done","finish_reason":"stop"}\n\n`;

  it('malformed_json', async () => {
    await expectStream('malformed_json', framed('{not json'));
  });
  it('non_object: [1,2] by default', async () => {
    await expectStream('non_object', framed('[1,2]'));
  });
  it('non_object: a given value', async () => {
    await expectStream({ name: 'non_object', value: 'text' }, framed('"text"'));
  });
  it('no_type', async () => {
    await expectStream('no_type', framed('{"content":"no type"}'));
  });
  it('wrong_field', async () => {
    await expectStream('wrong_field', framed('{"type":"token","content":5}'));
  });
});

describe('streams that break', () => {
  it('cut_stream: tokens, then the body ends cleanly without a terminal event', async () => {
    await expectStream('cut_stream', sse(token('0000'), token('0001'), token('0002')));
  });

  it('cut_stream destroy: tokens, then the connection is destroyed mid-body', async () => {
    const res = await runScenario(agent.url, { name: 'cut_stream', tokens_before: 2, mode: 'destroy' });
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(res.body.toString()).toBe(sse(token('0000'), token('0001')));
    expect(lastRecord()).toMatchObject({ scenario: 'cut_stream', aborted: false, endedAt: expect.any(Number) });
  });

  it('hang_after_headers: headers and tokens, then silence until the client leaves', async () => {
    const connection = await RawConnection.open(agent.url);
    try {
      connection.post(STREAM_PATH, userMessage('hi', { name: 'hang_after_headers', tokens_before: 1 }));
      await connection.waitForBytes((text) => text.includes('"content":"0000"}\n\n'));
      const res = parseRawResponse(connection.received);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(sse(token('0000')));
      const record = lastRecord();
      expect(record.endedAt).toBeNull();
      const leftAt = performance.timeOrigin + performance.now();
      connection.destroy();
      await agent.recorder.waitFor(() => record.aborted);
      expect(record.endedAt! - leftAt).toBeLessThan(1000);
    } finally {
      connection.destroy();
    }
  });

  it('hang_before_headers: no byte until the client leaves', async () => {
    const connection = await RawConnection.open(agent.url);
    try {
      const before = agent.requests.length;
      connection.post(STREAM_PATH, userMessage('hi', 'hang_before_headers'));
      const record = await agent.recorder.waitFor((r) =>
        r.requests.find((q, i) => i >= before && q.scenario === 'hang_before_headers'),
      );
      expect(connection.received.length).toBe(0);
      connection.destroy();
      await agent.recorder.waitFor(() => record.aborted);
      expect(record.status).toBeNull();
      expect(connection.received.length).toBe(0);
    } finally {
      connection.destroy();
    }
  });

  it('data_after_done: done, more tokens, a clean end', async () => {
    await expectStream('data_after_done', sse(token('ok'), done(), token(' after'), token(' done')));
  });

  it('never_end_after_done: done, then the body stays open', async () => {
    const connection = await RawConnection.open(agent.url);
    try {
      connection.post(STREAM_PATH, userMessage('hi', { name: 'never_end_after_done', keepalive_ms: 5 }));
      const expected = sse(token('ok'), done()) + ': keep-alive\n\n: keep-alive\n\n';
      await connection.waitForBytes((text) => parseRawResponse(Buffer.from(text, 'latin1')).body.toString() === expected);
      expect(connection.isClosed).toBe(false);
      const record = lastRecord();
      connection.destroy();
      await agent.recorder.waitFor(() => record.aborted);
    } finally {
      connection.destroy();
    }
  });

  it('never_end_after_done: silent by default', async () => {
    const connection = await RawConnection.open(agent.url);
    try {
      connection.post(STREAM_PATH, userMessage('hi', 'never_end_after_done'));
      await connection.waitForBytes((text) => text.includes('"finish_reason":"stop"}\n\n'));
      const record = lastRecord();
      expect(record.endedAt).toBeNull();
      connection.destroy();
      await agent.recorder.waitFor(() => record.aborted);
    } finally {
      connection.destroy();
    }
  });
});

describe('SSE framing', () => {
  it('multiline_data: JSON spread over several data lines', async () => {
    await expectStream(
      'multiline_data',
      'data: {\ndata:  "type": "token",\ndata:  "content": "multi-line"\ndata: }\n\n' +
        'data: {\ndata:  "type": "token",\ndata:  "content": " data"\ndata: }\n\n' +
        'data: {\ndata:  "type": "done",\ndata:  "finish_reason": "stop"\ndata: }\n\n',
    );
  });

  const lf =
    ': keep-alive\n\n' +
    'data: {"type":"token","content":"one"}\n\n' +
    'data: {"type":"token","content":" two"}\n\n' +
    'data: {"type":"token","content":" three"}\n\n' +
    'data: {"type":"done","finish_reason":"stop"}\n\n';

  it.each([
    ['crlf', '\r\n'],
    ['cr', '\r'],
    ['lf', '\n'],
  ])('line_endings %s: every line end, the last included', async (eol, chars) => {
    const res = await expectStream({ name: 'line_endings', eol }, lf.replaceAll('\n', chars));
    expect(res.body.subarray(-chars.length).toString()).toBe(chars);
  });

  it('line_endings: CRLF by default', async () => {
    await expectStream('line_endings', lf.replaceAll('\n', '\r\n'));
  });

  it('byte_chunks: one byte per chunk, multi-byte characters split', async () => {
    const res = await expectStream(
      'byte_chunks',
      sse(token('héllo'), token(' 日本'), token(' 👋'), token(' wörld'), done()),
    );
    expect(res.chunks.length).toBe(res.body.length);
    expect(res.chunks.every((chunk) => chunk.length === 1)).toBe(true);
    expect(res.chunks.some((chunk) => chunk[0]! >= 0x80)).toBe(true);
  });

  it('byte_chunks: a given text', async () => {
    const res = await expectStream({ name: 'byte_chunks', text: 'ü', delay_ms: 0 }, sse(token('ü'), done()));
    expect(res.chunks.every((chunk) => chunk.length === 1)).toBe(true);
  });

  it('sse_fields: event, id and retry lines', async () => {
    await expectStream(
      'sse_fields',
      'event: message\nid: 1\nretry: 1000\ndata: {"type":"token","content":"Hello"}\n\n' +
        'id: 2\nevent: token\ndata:{"type":"token","content":","}\n\n' +
        'id:\ndata: {"type":"token","content":" world"}\n\n' +
        'retry: 500\nevent: done\ndata: {"type":"done","finish_reason":"stop"}\n\n',
    );
  });

  it('large_event: one event of exactly 1 MiB of data by default', async () => {
    const res = await runScenario(agent.url, 'large_event');
    const text = res.body.toString('utf8');
    const [first, second] = text.split('\n\n');
    expect(first!.startsWith('data: {"type":"token","content":"xxx')).toBe(true);
    expect(Buffer.byteLength(first!.slice('data: '.length))).toBe(1024 * 1024);
    expect(JSON.parse(first!.slice('data: '.length)).content).toMatch(/^x+$/);
    expect(second).toBe('data: {"type":"done","finish_reason":"stop"}');
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('large_event: a given size', async () => {
    await expectStream({ name: 'large_event', bytes: 40 }, `data: {"type":"token","content":"${'x'.repeat(11)}"}\n\n${sse(done())}`);
  });
});
