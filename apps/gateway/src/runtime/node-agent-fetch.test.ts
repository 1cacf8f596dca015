import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startMockAgent } from '@agent-gateway/mock-agent';
import type { AgentMessage } from '@agent-gateway/protocol';
import { AgentClient, UpstreamAborted } from '../agent/agent-client.ts';
import { GatewayError } from '../errors.ts';
import { agentPoolOptions, BODY_HIGH_WATER_BYTES, BodyQueue, createNodeAgentFetch, READ_WITHOUT_YIELD_BYTES } from './node-agent-fetch.ts';

const message = (id: string, scenario: unknown): AgentMessage => ({ type: 'user_message', content: 'x', request_id: id, metadata: { scenario } });

async function collect(client: AgentClient, id: string, scenario: unknown, signal = new AbortController().signal) {
  const events: unknown[] = [];
  for await (const batch of client.stream({ sessionId: 's', requestId: id, message: message(id, scenario), signal })) {
    for (const e of batch) events.push(e.event);
  }
  return events;
}

describe('createNodeAgentFetch', () => {
  it('leaves timeouts to AgentClient: undici has no headers or body timeout, and its connect timeout is the one given', () => {
    // undici's default connect timeout (10 s) would end a hung connect as agent_unavailable, before AGENT_STREAM_TIMEOUT.
    expect(agentPoolOptions(61_000)).toMatchObject({ connectTimeout: 61_000, headersTimeout: 0, bodyTimeout: 0 });
  });

  it('reuses one keep-alive connection for sequential requests, body drained after the terminal event', async () => {
    const agent = await startMockAgent({ port: 0, tokenDelayMs: 0 });
    try {
      const client = new AgentClient({ agentUrl: agent.url, internalApiKey: 'k', streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch({ connectTimeoutMs: 6000 }) });
      for (let i = 0; i < 5; i++) {
        const events = await collect(client, `r${i}`, { name: 'tokens', count: 3 });
        expect(events.at(-1)).toMatchObject({ type: 'done' });
        await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === `r${i}` && r.endedAt !== null));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(agent.requests.every((r) => r.headers['x-internal-api-key'] === 'k' && r.headers.accept === 'text/event-stream')).toBe(true);
      expect(agent.connections.total).toBe(1);
    } finally {
      await agent.close();
    }
  });

  it('an abort closes the connection (the agent sees it) and surfaces as UpstreamAborted', async () => {
    const agent = await startMockAgent({ port: 0, tokenDelayMs: 0 });
    try {
      const client = new AgentClient({ agentUrl: agent.url, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch({ connectTimeoutMs: 6000 }) });
      const controller = new AbortController();
      const run = collect(client, 'slow', { name: 'slow', count: 1000, delay_ms: 20, keepalive_ms: 5 }, controller.signal);
      await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === 'slow'));
      controller.abort();
      await expect(run).rejects.toBeInstanceOf(UpstreamAborted);
      const record = await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.aborted), 1000);
      expect(record.headers['x-request-id']).toBe('slow');
    } finally {
      await agent.close();
    }
  });

  it('an abort before the request is written leaves its keep-alive connection to the next request, and the agent never sees it', async () => {
    const agent = await startMockAgent({ port: 0, tokenDelayMs: 0 });
    try {
      const client = new AgentClient({ agentUrl: agent.url, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch({ connectTimeoutMs: 6000 }) });
      expect((await collect(client, 'r0', { name: 'tokens', count: 2 })).at(-1)).toMatchObject({ type: 'done' });
      await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === 'r0' && r.endedAt !== null));
      // The pool has its connection back (it hears of it on a later turn of the event loop).
      await new Promise((resolve) => setImmediate(resolve));
      // The request is queued on that idle connection; undici writes it on a later turn of the event loop.
      const cancel = new AbortController();
      const aborted = collect(client, 'r1', { name: 'tokens', count: 2 }, cancel.signal).catch((e: unknown) => e);
      cancel.abort();
      expect(await aborted).toBeInstanceOf(UpstreamAborted);
      expect((await collect(client, 'r2', { name: 'tokens', count: 2 })).at(-1)).toMatchObject({ type: 'done' });
      expect(agent.requests.map((r) => r.headers['x-request-id'])).toEqual(['r0', 'r2']);
      expect(agent.connections.total).toBe(1);
    } finally {
      await agent.close();
    }
  });

  it('connection refused → agent_unavailable naming the cause', async () => {
    const agent = await startMockAgent({ port: 0 });
    const url = agent.url;
    await agent.close();
    const client = new AgentClient({ agentUrl: url, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch({ connectTimeoutMs: 6000 }) });
    const error = await collect(client, 'r', 'tokens').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'agent_unavailable', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('a connect that never completes ends at the idle timeout as agent_timeout, and an abort ends it within ABORT_GRACE_MS', async () => {
    // A listener whose process never accepts: once its backlog (1) is full, the kernel drops new SYNs.
    const child = spawn(
      process.execPath,
      ['-e', `const s = require('node:net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        process.stdout.write(s.address().port + '\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); });`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Should the test time out before its `finally`, the listener still ends with it.
    onTestFinished(() => void child.kill('SIGKILL'));
    const fill: Socket[] = [];
    try {
      const port = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(String(d).trim()))));
      // Two connections fill the accept queue; the gateway's is the next.
      await Promise.all([0, 1].map(() => new Promise<void>((resolve) => fill.push(connect(port, '127.0.0.1', () => resolve()).on('error', () => undefined)))));
      const url = `http://127.0.0.1:${port}`;
      const client = new AgentClient({ agentUrl: url, internalApiKey: undefined, streamTimeoutMs: 300, maxEventBytes: 65536, fetch: createNodeAgentFetch({ connectTimeoutMs: 1300 }) });
      const timedOut = await collect(client, 'r1', 'tokens').catch((e: unknown) => e);
      expect(timedOut).toMatchObject({ code: 'agent_timeout' });

      const patient = new AgentClient({ agentUrl: url, internalApiKey: undefined, streamTimeoutMs: 60_000, maxEventBytes: 65536, fetch: createNodeAgentFetch({ connectTimeoutMs: 61_000 }) });
      const cancel = new AbortController();
      const aborted = collect(patient, 'r2', 'tokens', cancel.signal).catch((e: unknown) => e);
      cancel.abort();
      expect(await aborted).toBeInstanceOf(UpstreamAborted);
    } finally {
      for (const socket of fill) socket.destroy();
      child.kill();
    }
  });

  it('an agent that closes the connection to end its answer, while the gateway is not reading: the body is whole, the process lives', async () => {
    // undici 7 asserted that its parser was not paused when the connection ended, from the socket's
    // 'end' handler: an uncaught exception that ended the gateway (nodejs/undici#5360). patches/ backports
    // the fix of undici 8. Here the body is more than BODY_HIGH_WATER_BYTES, framed by the close
    // (`connection: close`, no length), and nothing reads it until the agent's side has closed.
    const event = `data: {"type":"token","content":"${'a'.repeat(1000)}"}\n\n`;
    const body = event.repeat(Math.ceil((BODY_HIGH_WATER_BYTES * 1.5) / event.length)) + 'data: {"type":"done","finish_reason":"stop"}\n\n';
    let closed!: Promise<void>;
    const server = createServer((socket) => {
      closed = new Promise((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n${body}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const fetch = createNodeAgentFetch({ connectTimeoutMs: 6000 });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent/message/stream`;
      const res = await fetch(url, { method: 'POST', body: '{}', redirect: 'manual', signal: new AbortController().signal });
      expect(res.status).toBe(200);
      // The agent's socket closes once undici has taken the whole answer in, which it did paused.
      await closed;
      const reader = res.body!.getReader();
      const parts: Uint8Array[] = [];
      for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(Buffer.from(r.value));
      expect(Buffer.concat(parts).toString()).toBe(body);
    } finally {
      server.close();
    }
  });

  it('lets the event loop take a turn between chunks of a body that arrives faster than it is read', async () => {
    // As undici does: each read resumes its parser, which hands over the next chunk at once, from
    // what libuv read of a busy socket in one poll (up to 2 MiB).
    const chunk = Buffer.alloc(READ_WITHOUT_YIELD_BYTES, 'a');
    let left = 15;
    const body = new BodyQueue();
    let paused = false;
    body.controller = {
      pause: () => void (paused = true),
      resume: () => {
        paused = false;
        if (left-- > 0) body.push(chunk);
        else body.end();
      },
      abort: () => undefined,
      get paused() {
        return paused;
      },
    };
    body.push(chunk);
    let reads = 0;
    let readsBeforeTurn: number | undefined;
    setImmediate(() => (readsBeforeTurn = reads));
    let bytes = 0;
    for (;;) {
      const result = await body.read();
      if (result.done) break;
      reads++;
      bytes += result.value.byteLength;
    }
    expect(bytes).toBe(16 * READ_WITHOUT_YIELD_BYTES);
    // Without the turn, all 16 chunks were read before any other callback ran.
    expect(readsBeforeTurn).toBe(1);
  });

  it('stops undici at BODY_HIGH_WATER_BYTES unread and resumes it when read, handing over what is queued as one chunk', async () => {
    const body = new BodyQueue();
    const calls: string[] = [];
    let paused = false;
    body.controller = {
      pause: () => void (calls.push('pause'), (paused = true)),
      resume: () => void (calls.push('resume'), (paused = false)),
      abort: () => void calls.push('abort'),
      get paused() {
        return paused;
      },
    };
    const part = Buffer.alloc(BODY_HIGH_WATER_BYTES / 4, 'b');
    for (let i = 0; i < 3; i++) body.push(part);
    expect(calls).toEqual([]);
    body.push(part);
    expect(calls).toEqual(['pause']);
    const first = await body.read();
    expect(first).toMatchObject({ done: false });
    expect(first.value?.byteLength).toBe(BODY_HIGH_WATER_BYTES);
    expect(calls).toEqual(['pause', 'resume']);
    // A read that waits is woken by the next chunk; the end follows what was queued.
    const next = body.read();
    body.push(Buffer.from('c'));
    body.end();
    expect(Buffer.from((await next).value!).toString()).toBe('c');
    expect(await body.read()).toEqual({ done: true });
    // Cancelling a body that ended leaves the connection to the pool.
    await body.cancel();
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('cancelling a body before its end aborts the request, and a read after it fails', async () => {
    const body = new BodyQueue();
    const aborted: unknown[] = [];
    body.controller = { pause: () => undefined, resume: () => undefined, abort: (reason) => void aborted.push(reason), paused: false };
    body.push(Buffer.from('data: x'));
    await body.cancel();
    expect(aborted).toHaveLength(1);
    await expect(body.read()).rejects.toBe(aborted[0]);
  });
});
