import { describe, expect, it } from 'vitest';
import { GATEWAY_ERROR_CODES, GATEWAY_ERROR_RETRYABLE, GatewayErrorCodeSchema, UPGRADE_ERROR_STATUS } from './errors.ts';

// The table of protocol.md §5, copied by hand so that a change to either fails here.
const PROTOCOL_TABLE: [string, boolean][] = [
  ['invalid_session_id', false],
  ['unauthorized', false],
  ['forbidden', false],
  ['server_busy', true],
  ['shutting_down', true],
  ['invalid_json', false],
  ['invalid_message', false],
  ['queue_full', true],
  ['duplicate_tool_result', false],
  ['agent_unavailable', true],
  ['agent_auth_failed', false],
  ['agent_rejected', false],
  ['agent_rate_limited', true],
  ['agent_timeout', true],
  ['agent_protocol_error', false],
  ['agent_stream_interrupted', true],
  ['internal_error', true],
];

describe('gateway error codes', () => {
  it('are exactly the closed set of protocol.md, with its retryable column', () => {
    expect(Object.entries(GATEWAY_ERROR_RETRYABLE)).toEqual(PROTOCOL_TABLE);
    expect(GATEWAY_ERROR_CODES).toEqual(PROTOCOL_TABLE.map(([code]) => code));
  });

  it('refuses any other code', () => {
    for (const code of ['', 'agent_error', 'INTERNAL_ERROR', 'toString', '__proto__']) {
      expect(GatewayErrorCodeSchema.safeParse(code).success, code).toBe(false);
    }
  });

  it('gives the HTTP status of each refused upgrade', () => {
    expect(UPGRADE_ERROR_STATUS).toEqual({
      invalid_session_id: 400,
      unauthorized: 401,
      forbidden: 403,
      server_busy: 503,
      shutting_down: 503,
    });
  });
});
