import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Runtime } from '../support/gateway-process.ts';
import { connect } from '../support/ws-client.ts';
import { byRequestId, INTERNAL_KEY, scenario, uniqueRequest, uniqueSession, useGateway, withGateway } from '../support/harness.ts';

const gatewayError = (code: string, retryable: boolean) => ({ type: 'error', code, retryable, source: 'gateway' });

/** Every row of protocol.md §5's table that the agent can cause. */
export function agentErrorSuite(runtime: Runtime) {
  describe(`agent errors [${runtime}]`, () => {
    const env = useGateway(runtime, { GATEWAY__AGENT_STREAM_TIMEOUT: '1', GATEWAY__MAX_EVENT_BYTES: '65536' });

    it.each([
      ['status', { status: 401 }, gatewayError('agent_auth_failed', false)],
      ['status', { status: 403 }, gatewayError('agent_auth_failed', false)],
      ['status', { status: 404 }, gatewayError('agent_rejected', false)],
      ['status', { status: 422 }, gatewayError('agent_rejected', false)],
      ['status', { status: 302 }, gatewayError('agent_rejected', false)],
      ['status', { status: 307 }, gatewayError('agent_rejected', false)],
      ['status', { status: 500 }, gatewayError('agent_unavailable', true)],
      ['status', { status: 503 }, gatewayError('agent_unavailable', true)],
      ['wrong_content_type', {}, gatewayError('agent_protocol_error', false)],
      ['malformed_json', {}, gatewayError('agent_protocol_error', false)],
      ['non_object', {}, gatewayError('agent_protocol_error', false)],
      ['non_object', { value: 'a string' }, gatewayError('agent_protocol_error', false)],
      ['no_type', {}, gatewayError('agent_protocol_error', false)],
      ['wrong_field', {}, gatewayError('agent_protocol_error', false)],
      ['large_event', { bytes: 70_000 }, gatewayError('agent_protocol_error', false)],
      ['cut_stream', { mode: 'end' }, gatewayError('agent_stream_interrupted', true)],
      ['cut_stream', { mode: 'destroy' }, gatewayError('agent_stream_interrupted', true)],
      ['reset_before_headers', {}, gatewayError('agent_unavailable', true)],
      ['hang_after_headers', {}, gatewayError('agent_timeout', true)],
      ['hang_before_headers', {}, gatewayError('agent_timeout', true)],
    ])('%s %j → %j as the turn\'s only terminal frame', async (name, params, expected) => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario(name, params) });
      const terminal = await client.terminal(id);
      expect(terminal).toMatchObject({ ...expected, request_id: id });
      expect(typeof terminal.message).toBe('string');
      expect(client.frameOf(id).filter((f) => f.type === 'error' || f.type === 'done')).toHaveLength(1);
      // The connection stays usable after any agent failure.
      const next = uniqueRequest();
      client.send({ type: 'user_message', content: 'again', request_id: next, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(next)).toMatchObject({ type: 'done' });
    });

    it('a request the agent received and then reset on a reused connection is not sent again (at most once)', async () => {
      const client = await env.connect();
      const warm = uniqueRequest();
      // A finished turn leaves its connection to the agent idle in the pool: the next request reuses it.
      client.send({ type: 'user_message', content: 'go', request_id: warm, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(warm)).toMatchObject({ type: 'done' });
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('reset_before_headers', {}) });
      expect(await client.terminal(id)).toMatchObject(gatewayError('agent_unavailable', true));
      // The agent has answered a later request of the session, so a retry would have come before it.
      const after = uniqueRequest();
      client.send({ type: 'user_message', content: 'again', request_id: after, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(after)).toMatchObject({ type: 'done' });
      expect(env.agent.requests.filter((r) => byRequestId(id)(r))).toHaveLength(1);
    });

    it('agent_rate_limited carries retry_after_ms from Retry-After seconds, and from an HTTP date', async () => {
      const client = await env.connect();
      const a = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: a, ...scenario('status', { status: 429, retry_after: '7' }) });
      expect(await client.terminal(a)).toMatchObject({ ...gatewayError('agent_rate_limited', true), retry_after_ms: 7000 });
      const b = uniqueRequest();
      const date = new Date(Date.now() + 30_000).toUTCString();
      client.send({ type: 'user_message', content: 'go', request_id: b, ...scenario('status', { status: 429, retry_after: date }) });
      const withDate = await client.terminal(b);
      expect(withDate.retry_after_ms).toBeGreaterThan(25_000);
      expect(withDate.retry_after_ms).toBeLessThanOrEqual(30_000);
      const c = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: c, ...scenario('status', { status: 429 }) });
      const without = await client.terminal(c);
      expect(without).toMatchObject(gatewayError('agent_rate_limited', true));
      expect('retry_after_ms' in without).toBe(false);
    });

    it('relays an agent error event with its own code and no source', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('agent_error', { code: 'model_overloaded', message: 'busy', retryable: true, tokens_before: 2 }) });
      const terminal = await client.terminal(id);
      expect(terminal).toMatchObject({ type: 'error', code: 'model_overloaded', message: 'busy', retryable: true, request_id: id });
      expect('source' in terminal).toBe(false);
    });

    it('a refusal\'s reason (the start of its body) is in the turn\'s log line, not in the frame', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, metadata: { scenario: 'no-such-scenario' } });
      const terminal = await client.terminal(id);
      expect(terminal).toMatchObject({ code: 'agent_rejected', message: 'the agent rejected the request (HTTP 422)', details: { status: 422 } });
      const line = await env.gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === id);
      expect(line).toMatchObject({ level: 'warn', error_code: 'agent_rejected', cause: expect.stringContaining('unknown scenario \\"no-such-scenario\\"') });
    });

    it('an agent error message of megabytes is relayed whole, and its log line takes the first 2,000 characters', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      const message = 'x'.repeat(60_000);
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('agent_error', { message }) });
      expect(await client.terminal(id)).toMatchObject({ type: 'error', message });
      const line = await env.gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === id);
      expect(line.error).toBe(`${'x'.repeat(2000)}… (58000 more characters)`);
    });

    it('an agent that echoes the internal API key gets it redacted in the frame and the log (§1)', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      const echoed = `the key was ${INTERNAL_KEY}, ${JSON.stringify(INTERNAL_KEY)}`;
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('agent_error', { code: 'echo', message: echoed }) });
      const terminal = await client.terminal(id);
      expect(terminal).toMatchObject({ type: 'error', code: 'echo', message: 'the key was [REDACTED], "[REDACTED]"', request_id: id });
      await env.gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === id);
      expect([...env.gateway.stdout, ...env.gateway.stderr].join('\n')).not.toContain(INTERNAL_KEY);
    });

    it('an agent error that claims source "gateway" is relayed without it: only the gateway\'s own errors say so (§5)', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('agent_error', { code: 'agent_unavailable', message: 'spoofed', source: 'gateway' }) });
      const terminal = await client.terminal(id);
      expect(terminal).toMatchObject({ type: 'error', code: 'agent_unavailable', message: 'spoofed', request_id: id });
      expect(terminal).not.toHaveProperty('source');
    });

    it('tokens buffered before a failure are flushed before the error frame', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('cut_stream', { tokens_before: 3, mode: 'end' }) });
      await client.terminal(id);
      const frames = client.frameOf(id);
      expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'agent_stream_interrupted' });
      expect(frames.some((f) => f.type === 'token')).toBe(true);
    });

    it('agent_unavailable when the agent refuses connections', async () => {
      const port = await closedPort();
      await withGateway(runtime, { url: `http://127.0.0.1:${port}` }, {}, async (gateway) => {
        const client = await connect(gateway.wsUrl(uniqueSession()));
        try {
          const id = uniqueRequest();
          client.send({ type: 'user_message', content: 'go', request_id: id });
          const terminal = await client.terminal(id);
          // The same words on both runtimes, and nothing of the agent's address: Deno's own error names the URL.
          expect(terminal).toMatchObject({ ...gatewayError('agent_unavailable', true), request_id: id, message: 'the agent could not be reached: ECONNREFUSED' });
          // The runtime's whole report is for the operator, in the turn's log line.
          const line = await gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === id);
          expect(line).toMatchObject({ level: 'warn', error_code: 'agent_unavailable', cause: expect.stringMatching(/refused/i) });
        } finally {
          await client.close();
        }
      });
    });
  });
}

/** A port nobody listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
