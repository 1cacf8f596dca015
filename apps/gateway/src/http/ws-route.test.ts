import { describe, expect, it } from 'vitest';
import { AgentClient } from '../agent/agent-client.ts';
import { parseConfig } from '../config.ts';
import { configureLogging, loggers } from '../observability/logger.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import { SessionManager } from '../session/session-manager.ts';
import { pathOf, RouteSocketHandler, targetOf } from './ws-route.ts';

describe('pathOf', () => {
  it.each([
    ['http://127.0.0.1:8080/ws/abc', '/ws/abc'],
    ['http://127.0.0.1:8080/ws/abc?access_token=t', '/ws/abc'],
    ['http://h/ws/a%2Fb', '/ws/a%2Fb'],
    ['http://[::1]:8080/ws/x#frag', '/ws/x'],
    ['https://h.example/ws/x?y#z', '/ws/x'],
    ['http://h', '/'],
    ['http://h/?q=1', '/'],
    ['http://user:pass@h:1/ws/s', '/ws/s'],
  ])('%s → %s', (url, path) => {
    expect(pathOf(url)).toBe(path);
    // What the URL parser says, for URLs it leaves as they are.
    expect(new URL(url).pathname).toBe(path);
  });
});

describe('targetOf', () => {
  it.each([
    ['http://127.0.0.1:8080/ws/abc?access_token=t', '/ws/abc?access_token=t'],
    ['http://h/ws/a%2Fb', '/ws/a%2Fb'],
    ['http://[::1]:8080/ws/x#frag', '/ws/x#frag'],
    ['http://h', '/'],
    ['http://h?q=1', '/?q=1'],
    ['http://user:pass@h:1/ws/s', '/ws/s'],
  ])('%s → %s', (url, target) => {
    expect(targetOf(url)).toBe(target);
  });
});

describe('RouteSocketHandler', () => {
  it('names the connection in the line of a socket error, as in every line of a connection', () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('debug', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9' });
      const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1024, fetch: () => Promise.reject(new Error('unused')) });
      const handler = new RouteSocketHandler('s1', new SessionManager({ config, agent, metrics: new GatewayMetrics() }), loggers.session(), undefined);
      handler.open({ send: () => undefined, close: () => undefined, terminate: () => undefined, bufferedAmount: 0 });
      handler.error(new Error('reset'));
      const opened = lines.find((l) => l.msg === 'connection opened');
      expect(lines.find((l) => l.msg === 'socket error')).toMatchObject({ session_id: 's1', connection_id: opened?.connection_id, error: 'Error: reset' });
      expect(opened?.connection_id).toBeDefined();
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  it('closes with 1011 a socket whose session could not be opened, and logs why (no socket is left without a session)', () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('error', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const sessions = { open: () => { throw new Error('open failed'); } } as unknown as SessionManager;
      const handler = new RouteSocketHandler('s1', sessions, loggers.session(), undefined);
      const closes: [number, string][] = [];
      handler.open({ send: () => undefined, close: (code, reason) => void closes.push([code, reason]), terminate: () => undefined, bufferedAmount: 0 });
      expect(closes).toEqual([[1011, 'internal_error']]);
      expect(lines.find((l) => l.msg === 'open failed')).toMatchObject({ session_id: 's1', error: expect.objectContaining({ message: 'open failed' }) });
    } finally {
      configureLogging('error', () => undefined);
    }
  });
});

