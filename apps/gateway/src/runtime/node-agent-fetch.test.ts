import { describe, expect, it } from 'vitest';
import { startMockAgent } from '@agent-gateway/mock-agent';
import type { AgentMessage } from '@agent-gateway/protocol';
import { AgentClient, UpstreamAborted } from '../agent/agent-client.ts';
import { GatewayError } from '../errors.ts';
import { createNodeAgentFetch } from './node-agent-fetch.ts';

const message = (id: string, scenario: unknown): AgentMessage => ({ type: 'user_message', content: 'x', request_id: id, metadata: { scenario } });

async function collect(client: AgentClient, id: string, scenario: unknown, signal = new AbortController().signal) {
  const events: unknown[] = [];
  for await (const batch of client.stream({ sessionId: 's', requestId: id, message: message(id, scenario), signal })) {
    for (const e of batch) events.push(e.event);
  }
  return events;
}

describe('createNodeAgentFetch', () => {
  it('reuses one keep-alive connection for sequential requests, body drained after the terminal event', async () => {
    const agent = await startMockAgent({ port: 0, tokenDelayMs: 0 });
    try {
      const client = new AgentClient({ agentUrl: agent.url, internalApiKey: 'k', streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch() });
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
      const client = new AgentClient({ agentUrl: agent.url, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch() });
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

  it('connection refused → agent_unavailable naming the cause', async () => {
    const agent = await startMockAgent({ port: 0 });
    const url = agent.url;
    await agent.close();
    const client = new AgentClient({ agentUrl: url, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 65536, fetch: createNodeAgentFetch() });
    const error = await collect(client, 'r', 'tokens').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'agent_unavailable', message: expect.stringContaining('ECONNREFUSED') });
  });
});
