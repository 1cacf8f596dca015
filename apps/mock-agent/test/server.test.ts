import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockAgent, type MockAgentServer } from '../src/index.ts';
import { RawConnection, rawPost } from './raw-http.ts';
import { STREAM_PATH, userMessage } from './helpers.ts';

const servers: MockAgentServer[] = [];
const start = async (options: Parameters<typeof startMockAgent>[0] = {}) => {
  const server = await startMockAgent({ port: 0, tokenDelayMs: 0, ...options });
  servers.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}${STREAM_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('endpoints', () => {
  it('GET /health answers 200 {"status":"ok"}', async () => {
    const agent = await start();
    const res = await fetch(`${agent.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(agent.requests).toEqual([]);
  });

  it('the url names the configured host and the real port', async () => {
    const agent = await start();
    expect(agent.port).toBeGreaterThan(0);
    expect(agent.url).toBe(`http://127.0.0.1:${agent.port}`);
  });
});

describe('authentication', () => {
  it('without apiKey, no header is needed', async () => {
    const agent = await start();
    const res = await post(agent.url, userMessage('hi', 'tokens'));
    expect(res.status).toBe(200);
    await res.text();
  });

  it('a missing x-internal-api-key gets 401 JSON', async () => {
    const agent = await start({ apiKey: 'k-secret' });
    const res = await post(agent.url, userMessage('hi'));
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ error: 'unauthorized', message: 'missing x-internal-api-key header' });
    expect(agent.requests[0]).toMatchObject({ status: 401, scenario: null, aborted: false });
  });

  it('a wrong key gets 401 and is not echoed', async () => {
    const agent = await start({ apiKey: 'k-secret' });
    const res = await post(agent.url, userMessage('hi'), { 'x-internal-api-key': 'k-secreT' });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'unauthorized', message: 'wrong x-internal-api-key' });
    expect(text).not.toContain('k-secre');
  });

  it('the key is checked before the body', async () => {
    const agent = await start({ apiKey: 'k-secret' });
    const res = await post(agent.url, 'not json');
    expect(res.status).toBe(401);
    await res.text();
  });

  it('the right key passes', async () => {
    const agent = await start({ apiKey: 'k-secret' });
    const res = await post(agent.url, userMessage('hi', 'tokens'), { 'x-internal-api-key': 'k-secret' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"type":"done"');
    expect(agent.requests[0]!.headers['x-internal-api-key']).toBe('k-secret');
  });
});

describe('request validation', () => {
  const expect422 = async (res: Response, path: (string | number)[], messagePart: string) => {
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; message: string; issues: { path: unknown[]; message: string }[] };
    expect(body.error).toBe('invalid_request');
    expect(body.issues).toContainEqual({ path, message: expect.stringContaining(messagePart) });
    expect(body.message).toContain(path.join('.'));
    return body;
  };

  it('a body that is not JSON', async () => {
    const agent = await start();
    const res = await post(agent.url, '{oops');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string; message: string; issues: unknown[] };
    expect(body.error).toBe('invalid_request');
    expect(body.message).toMatch(/^body is not valid JSON/);
    expect(body.issues).toEqual([{ path: [], message: body.message }]);
    expect(agent.requests[0]).toMatchObject({ body: '{oops', status: 422, scenario: null });
  });

  it('a missing session_id', async () => {
    const agent = await start();
    const body = JSON.parse(userMessage('hi')) as Record<string, unknown>;
    delete body.session_id;
    await expect422(await post(agent.url, JSON.stringify(body)), ['session_id'], '');
  });

  it('request ids that disagree (§3: the message carries the body\'s, and so does x-request-id)', async () => {
    const agent = await start();
    const body = JSON.parse(userMessage('hi')) as { message: Record<string, unknown> };
    await expect422(await post(agent.url, JSON.stringify({ ...body, message: { ...body.message, request_id: 'other' } })), ['message', 'request_id'], '"r-1"');
    const { request_id: _dropped, ...withoutId } = body.message;
    // The message's request_id is required (filled in by the gateway).
    await expect422(await post(agent.url, JSON.stringify({ ...body, message: withoutId })), ['message', 'request_id'], '');
    await expect422(await post(agent.url, userMessage('hi'), { 'x-request-id': 'r-2' }), ['x-request-id'], '"r-1"');
    const agreeing = await post(agent.url, userMessage('hi', 'tokens'), { 'x-request-id': 'r-1' });
    expect(agreeing.status).toBe(200);
    await agreeing.text();
  });

  it('an empty user_message content', async () => {
    const agent = await start();
    await expect422(await post(agent.url, userMessage('')), ['message', 'content'], 'non-empty');
  });

  it('a tool_result without result', async () => {
    const agent = await start();
    const body = JSON.stringify({
      session_id: 's1',
      request_id: 'r1',
      message: { type: 'tool_result', tool_call_id: 'c1', request_id: 'r1' },
    });
    await expect422(await post(agent.url, body), ['message', 'result'], 'required');
  });

  it('an unknown scenario', async () => {
    const agent = await start();
    await expect422(await post(agent.url, userMessage('hi', 'nope')), ['message', 'metadata', 'scenario'], 'unknown scenario "nope"');
  });

  it('a scenario parameter of the wrong type', async () => {
    const agent = await start();
    await expect422(
      await post(agent.url, userMessage('hi', { name: 'tokens', count: 'many' })),
      ['message', 'metadata', 'scenario', 'count'],
      'number',
    );
  });

  it('a scenario object without a name', async () => {
    const agent = await start();
    await expect422(await post(agent.url, userMessage('hi', { count: 1 })), ['message', 'metadata', 'scenario'], 'name');
  });

  it('a scenario named on a tool_result frame', async () => {
    const agent = await start();
    const body = JSON.stringify({
      session_id: 's1',
      request_id: 'r1',
      message: { type: 'tool_result', tool_call_id: 'c1', result: null, request_id: 'r1', metadata: { scenario: 'unknown_event' } },
    });
    const res = await post(agent.url, body);
    expect(await res.text()).toContain('"type":"progress"');
    expect(agent.requests[0]!.scenario).toBe('unknown_event');
  });
});

describe('recording', () => {
  it('records lower-cased headers, the parsed body, the scenario and the times', async () => {
    const agent = await start();
    const body = userMessage('hi', 'tokens');
    const res = await post(agent.url, body, { 'X-Request-ID': 'r-1', Accept: 'text/event-stream' });
    await res.text();
    const record = await agent.recorder.waitFor((r) => r.requests.find((q) => q.endedAt !== null));
    expect(record).toMatchObject({
      id: 1,
      method: 'POST',
      path: STREAM_PATH,
      body: JSON.parse(body),
      scenario: 'tokens',
      status: 200,
      aborted: false,
    });
    expect(record.headers['x-request-id']).toBe('r-1');
    expect(record.headers.accept).toBe('text/event-stream');
    expect(Object.keys(record.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(record.endedAt!).toBeGreaterThanOrEqual(record.startedAt);
    expect(Math.abs(record.startedAt - Date.now())).toBeLessThan(5000);
  });

  it('a client that cancels the body is recorded as aborted within 1 s', async () => {
    const agent = await start();
    const res = await post(agent.url, userMessage('hi', { name: 'slow', delay_ms: 50, keepalive_ms: 10 }));
    const reader = res.body!.getReader();
    await reader.read();
    const record = agent.requests[0]!;
    expect(record.endedAt).toBeNull();
    const abortedAt = performance.timeOrigin + performance.now();
    await reader.cancel();
    await agent.recorder.waitFor(() => record.aborted, 1000);
    expect(record.endedAt! - abortedAt).toBeLessThan(1000);
  });

  it('fetch aborted by its signal mid-stream is recorded as aborted', async () => {
    const agent = await start();
    const controller = new AbortController();
    const res = await fetch(`${agent.url}${STREAM_PATH}`, {
      method: 'POST',
      body: userMessage('hi', 'slow'),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const abortedAt = performance.timeOrigin + performance.now();
    controller.abort();
    const record = await agent.recorder.waitFor((r) => r.requests.find((q) => q.aborted), 1000);
    expect(record.endedAt! - abortedAt).toBeLessThan(1000);
  });

  it('waitFor resolves on a later change', async () => {
    const agent = await start();
    const waiting = agent.recorder.waitFor((r) => r.requests.find((q) => q.scenario === 'echo'));
    const res = await post(agent.url, userMessage('hi', 'echo'));
    await res.text();
    expect((await waiting).scenario).toBe('echo');
  });
});

describe('connections', () => {
  it('two sequential requests on a keep-alive agent use one connection', async () => {
    const agent = await start();
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = () =>
      new Promise<string>((resolve, reject) => {
        const body = userMessage('hi', 'tokens');
        const req = request(
          `${agent.url}${STREAM_PATH}`,
          { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve(text));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      expect(await send()).toContain('"type":"done"');
      expect(await send()).toContain('"type":"done"');
      expect(agent.connections).toEqual({ total: 1, open: 1 });
    } finally {
      keepAlive.destroy();
    }
    await agent.recorder.waitFor((r) => r.connections.open === 0);
    expect(agent.connections).toEqual({ total: 1, open: 0 });
  });

  it('counts separate connections and their closing', async () => {
    const agent = await start();
    await rawPost(agent.url, STREAM_PATH, userMessage('hi', 'tokens'));
    await rawPost(agent.url, STREAM_PATH, userMessage('hi', 'tokens'));
    await agent.recorder.waitFor((r) => r.connections.open === 0);
    expect(agent.connections).toEqual({ total: 2, open: 0 });
  });
});

describe('HTTP introspection', () => {
  it('GET /_mock/requests, GET /_mock/connections, POST /_mock/reset', async () => {
    const agent = await start();
    await rawPost(agent.url, STREAM_PATH, userMessage('hi', 'tokens'));
    const keepAlive = new Agent({ keepAlive: true });
    const get = (path: string, method = 'GET') =>
      new Promise<unknown>((resolve, reject) => {
        const req = request(`${agent.url}${path}`, { method, agent: keepAlive }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const requests = (await get('/_mock/requests')) as { id: number; scenario: string }[];
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ id: 1, scenario: 'tokens', aborted: false });
      expect(await get('/_mock/connections')).toEqual({ total: 2, open: 1 });
      expect(await get('/_mock/reset', 'POST')).toEqual({ status: 'ok' });
      expect(await get('/_mock/requests')).toEqual([]);
      expect(await get('/_mock/connections')).toEqual({ total: 0, open: 1 });
      expect(agent.requests).toEqual([]);
    } finally {
      keepAlive.destroy();
    }
    await rawPost(agent.url, STREAM_PATH, userMessage('hi', 'tokens'));
    expect(agent.requests[0]!.id).toBe(1);
  });
});

describe('close', () => {
  it('closes streams that never end, and is safe to call twice', async () => {
    const agent = await startMockAgent({ port: 0 });
    const connection = await RawConnection.open(agent.url);
    try {
      connection.post(STREAM_PATH, userMessage('hi', 'hang_after_headers'));
      await connection.waitForBytes((text) => text.includes('\r\n\r\n'));
      await Promise.all([agent.close(), agent.close()]);
      await connection.closed;
      await agent.recorder.waitFor((r) => r.requests[0]?.endedAt);
    } finally {
      connection.destroy();
      await agent.close();
    }
  });
});
