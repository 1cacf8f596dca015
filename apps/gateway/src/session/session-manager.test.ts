import { describe, expect, it } from 'vitest';
import { AgentClient } from '../agent/agent-client.ts';
import { parseConfig } from '../config.ts';
import { configureLogging } from '../observability/logger.ts';
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

  it('ignores frames that come after it sent its own close (nothing may be sent then): no turn, no refusal logged or counted', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('debug', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const metrics = new GatewayMetrics();
      const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9' });
      const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1024, fetch: () => Promise.reject(new Error('no agent here')) });
      const sessions = new SessionManager({ config, agent, metrics });
      const raw = socket();
      const connection = sessions.open('after-close', raw);
      // No turn: the socket closes with 1001 at once, and the client's frames already on the way still arrive.
      const shutdown = sessions.shutdown(1000);
      expect(raw.calls).toEqual(['send session_started', 'close 1001']);
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
      sessions.message(connection, '{');
      sessions.message(connection, JSON.stringify({ type: 'ping' }));
      expect(raw.calls).toEqual(['send session_started', 'close 1001']);
      expect(lines.filter((l) => l.msg === 'turn ended' || l.msg === 'frame refused')).toEqual([]);
      const text = (await metrics.render()).body;
      expect(text).not.toMatch(/gateway_turns_total\{[^}]*\} [1-9]/);
      expect(text).not.toMatch(/gateway_errors_total\{[^}]*\} [1-9]/);
      sessions.closed(connection, 1001, '');
      await shutdown;
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  it('keeps a socket opened before shutdown open', () => {
    const sessions = manager();
    const raw = socket();
    const connection = sessions.open('early', raw);
    expect(raw.calls).toEqual(['send session_started']);
    sessions.closed(connection, 1000, '');
  });

  it('a bug of its own ends the turn with internal_error, logged at error with what was thrown, stack included', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('debug', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9' });
      const agent = {
        async *stream() {
          throw new TypeError('cannot read properties of undefined', { cause: new RangeError('deeper') });
        },
      } as unknown as AgentClient;
      const sessions = new SessionManager({ config, agent, metrics: new GatewayMetrics() });
      const raw = socket();
      const connection = sessions.open('bug', raw);
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
      await expect.poll(() => lines.find((l) => l.msg === 'turn ended')).toBeDefined();
      expect(raw.calls).toContain('send error');
      // At debug, the turn's start as well, and the refused frame below.
      expect(lines.find((l) => l.msg === 'turn started')).toMatchObject({ level: 'debug', request_id: 'r1', queued_ms: expect.any(Number) });
      sessions.message(connection, '{');
      expect(lines.find((l) => l.msg === 'frame refused')).toMatchObject({ level: 'debug', code: 'invalid_json', session_id: 'bug' });
      expect(lines.find((l) => l.msg === 'turn ended')).toMatchObject({
        level: 'error',
        request_id: 'r1',
        error_code: 'internal_error',
        cause: { name: 'TypeError', message: 'cannot read properties of undefined', stack: expect.stringContaining('session-manager.test.ts'), cause: { name: 'RangeError', message: 'deeper' } },
      });
      sessions.closed(connection, 1000, '');
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  it('counts closes by code, a code only a client would send as other (the series stay few)', async () => {
    const metrics = new GatewayMetrics();
    const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9', GATEWAY__LOG_LEVEL: 'error' });
    const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1024 });
    const sessions = new SessionManager({ config, agent, metrics });
    for (const [id, code] of [['a', 1009], ['b', 3999], ['c', 4500]] as const) sessions.closed(sessions.open(id, socket()), code, '');
    const text = (await metrics.render()).body;
    expect(text).toContain('gateway_connections_closed_total{code="1009"} 1');
    expect(text).toContain('gateway_connections_closed_total{code="other"} 2');
  });
});
