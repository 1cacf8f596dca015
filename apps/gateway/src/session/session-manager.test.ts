import { describe, expect, it } from 'vitest';
import { AgentClient } from '../agent/agent-client.ts';
import { parseConfig } from '../config.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import type { ClientSocket } from './client-socket.ts';
import { SessionManager } from './session-manager.ts';

const socket = (): ClientSocket & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    send: (text) => void calls.push(`send ${JSON.parse(text).type}`),
    close: (code) => void calls.push(`close ${code}`),
    terminate: () => void calls.push('terminate'),
    bufferedAmount: 0,
  };
};

const manager = () => {
  const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9', GATEWAY__LOG_LEVEL: 'error' });
  const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1024, fetch: () => Promise.reject(new Error('no agent here')) });
  return new SessionManager({ config, agent, metrics: new GatewayMetrics() });
};

describe('SessionManager', () => {
  it('closes with 1001 a socket that opens after shutdown began (upgraded just before it)', async () => {
    const sessions = manager();
    const shutdown = sessions.shutdown(1000);
    const raw = socket();
    const connection = sessions.open('late', raw);
    expect(raw.calls).toEqual(['send session_started', 'close 1001']);
    sessions.closed(connection, 1001, '');
    await shutdown;
  });

  it('keeps a socket opened before shutdown open', () => {
    const sessions = manager();
    const raw = socket();
    const connection = sessions.open('early', raw);
    expect(raw.calls).toEqual(['send session_started']);
    sessions.closed(connection, 1000, '');
  });
});
