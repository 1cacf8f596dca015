import { describe, expect, it, vi } from 'vitest';
import { WSErrorResponseSchema } from '@agent-gateway/protocol';
import { parseConfig } from './config.ts';
import { createGateway } from './gateway.ts';
import { configureLogging } from './observability/logger.ts';
import { nodeRuntime } from './runtime/node.ts';

describe('createApp', () => {
  it('answers a route that throws with 500 internal_error in the refusals\' shape and headers, and logs what was thrown', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('error', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9' });
      const gateway = createGateway(config, nodeRuntime(config));
      vi.spyOn(gateway.metrics, 'render').mockRejectedValue(new Error('registry broken'));
      const res = await gateway.app.request('/metrics');
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.json();
      expect(WSErrorResponseSchema.parse(body)).toEqual({ type: 'error', code: 'internal_error', message: 'internal error', retryable: true, source: 'gateway' });
      expect(lines.find((line) => line.msg === 'request failed')).toMatchObject({ level: 'error', path: '/metrics', error: expect.objectContaining({ message: 'registry broken' }) });
    } finally {
      configureLogging('error', () => undefined);
    }
  });
});
