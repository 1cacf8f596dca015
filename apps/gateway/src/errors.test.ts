import { describe, expect, it } from 'vitest';
import { WSErrorResponseSchema, GATEWAY_ERROR_CODES, type GatewayErrorCode, type UpgradeErrorCode } from '@agent-gateway/protocol';
import { GatewayError, toErrorFrame, toGatewayError, toHttpResponse } from './errors.ts';

/** A GatewayError whose code refuses an upgrade, typed as such (the constructor widens `code`). */
const upgradeError = (code: UpgradeErrorCode, message: string, options?: ConstructorParameters<typeof GatewayError>[2]) =>
  new GatewayError(code, message, options) as GatewayError & { code: UpgradeErrorCode };

// protocol.md §5, the `retryable` column.
const RETRYABLE: Record<GatewayErrorCode, boolean> = {
  invalid_session_id: false,
  unauthorized: false,
  forbidden: false,
  server_busy: true,
  shutting_down: true,
  invalid_json: false,
  invalid_message: false,
  queue_full: true,
  duplicate_tool_result: false,
  agent_unavailable: true,
  agent_auth_failed: false,
  agent_rejected: false,
  agent_rate_limited: true,
  agent_timeout: true,
  agent_protocol_error: false,
  agent_stream_interrupted: true,
  internal_error: true,
};

describe('toErrorFrame', () => {
  it('knows exactly the codes of the protocol table', () => {
    expect([...GATEWAY_ERROR_CODES].sort()).toEqual(Object.keys(RETRYABLE).sort());
  });

  it.each(Object.entries(RETRYABLE) as [GatewayErrorCode, boolean][])(
    '%s → retryable: %s, source gateway',
    (code, retryable) => {
      const frame = toErrorFrame(new GatewayError(code, `message for ${code}`));
      expect(frame).toEqual({ type: 'error', code, message: `message for ${code}`, retryable, source: 'gateway' });
      expect(WSErrorResponseSchema.safeParse(frame).success).toBe(true);
    },
  );

  it('has request_id only when one is given', () => {
    const error = new GatewayError('queue_full', 'too many queued turns');
    expect(Object.hasOwn(toErrorFrame(error), 'request_id')).toBe(false);
    expect(toErrorFrame(error, 'r-42')).toEqual({
      type: 'error',
      code: 'queue_full',
      message: 'too many queued turns',
      retryable: true,
      source: 'gateway',
      request_id: 'r-42',
    });
  });

  it('carries details and retry_after_ms when the error has them, and only then', () => {
    const plain = toErrorFrame(new GatewayError('agent_rate_limited', 'slow down'));
    expect(Object.hasOwn(plain, 'details')).toBe(false);
    expect(Object.hasOwn(plain, 'retry_after_ms')).toBe(false);

    const error = new GatewayError('agent_rate_limited', 'slow down', { details: { status: 429 }, retryAfterMs: 1500 });
    const frame = toErrorFrame(error, 'r1');
    expect(frame).toEqual({
      type: 'error',
      code: 'agent_rate_limited',
      message: 'slow down',
      retryable: true,
      source: 'gateway',
      request_id: 'r1',
      details: { status: 429 },
      retry_after_ms: 1500,
    });
    expect(WSErrorResponseSchema.safeParse(frame).success).toBe(true);
  });

  it('keeps a retry_after_ms of 0', () => {
    const frame = toErrorFrame(new GatewayError('agent_rate_limited', 'now', { retryAfterMs: 0 }));
    expect(frame.retry_after_ms).toBe(0);
  });

  it('is plain JSON (no cause, stack or name leaks into the frame)', () => {
    const error = new GatewayError('agent_unavailable', 'the agent could not be reached', {
      cause: new Error('connect ECONNREFUSED 10.0.0.1:8001'),
    });
    const frame = toErrorFrame(error, 'r1');
    expect(Object.keys(frame).sort()).toEqual(['code', 'message', 'request_id', 'retryable', 'source', 'type']);
    expect(JSON.parse(JSON.stringify(frame))).toEqual(frame);
  });
});

describe('GatewayError', () => {
  it('takes retryable from the protocol table, the one value §5 allows for the code', () => {
    expect(new GatewayError('agent_timeout', 'x').retryable).toBe(true);
    expect(new GatewayError('agent_rejected', 'x').retryable).toBe(false);
  });

  it('toGatewayError keeps a GatewayError and turns anything else into internal_error', () => {
    const known = new GatewayError('forbidden', 'no');
    expect(toGatewayError(known)).toBe(known);
    const cause = new TypeError('oops');
    const wrapped = toGatewayError(cause);
    expect(wrapped).toBeInstanceOf(GatewayError);
    expect(wrapped.code).toBe('internal_error');
    expect(wrapped.retryable).toBe(true);
    expect(wrapped.cause).toBe(cause);
    expect(toErrorFrame(wrapped).message).not.toContain('oops');
  });
});

describe('toHttpResponse', () => {
  it.each([
    ['invalid_session_id', 400],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['server_busy', 503],
    ['shutting_down', 503],
  ] as const)('%s → HTTP %i with the error body as JSON', async (code, status) => {
    const res = toHttpResponse(upgradeError(code, `refused: ${code}`));
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    const body = await res.json();
    expect(body).toEqual({ type: 'error', code, message: `refused: ${code}`, retryable: RETRYABLE[code], source: 'gateway' });
    expect(WSErrorResponseSchema.safeParse(body).success).toBe(true);
  });

  it('says how to authenticate on a 401 (WWW-Authenticate: Bearer), and only there', () => {
    expect(toHttpResponse(upgradeError('unauthorized', 'no token')).headers.get('www-authenticate')).toBe('Bearer realm="agent-gateway"');
    expect(toHttpResponse(upgradeError('forbidden', 'other session')).headers.get('www-authenticate')).toBeNull();
  });

  it('uses an explicit status and keeps details in the body', async () => {
    const error = new GatewayError('internal_error', 'internal error', { details: { where: 'upgrade' } });
    const res = toHttpResponse(error, 500);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      type: 'error',
      code: 'internal_error',
      message: 'internal error',
      retryable: true,
      source: 'gateway',
      details: { where: 'upgrade' },
    });
  });

  it('puts retry_after_ms in the body and a Retry-After header in whole seconds', async () => {
    const res = toHttpResponse(upgradeError('server_busy', 'busy', { retryAfterMs: 1500 }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ code: 'server_busy', retry_after_ms: 1500 });
  });
});
