import { describe, expect, it } from 'vitest';
import { expectAccepted, expectRefused } from '../test/schema-assertions.ts';
import { SERVER_EXAMPLES, errorBodyExample } from './documents/examples.ts';
import { GATEWAY_ERROR_CODES } from './errors.ts';
import {
  ErrorBodySchema,
  RelayedAgentErrorSchema,
  RelayedDoneSchema,
  RelayedTokenSchema,
  RelayedToolCallSchema,
  RelayedUnknownEventSchema,
  ServerFrameSchema,
  SessionStartedSchema,
  WSErrorResponseSchema,
  GatewayErrorFrameSchema,
  WSPongSchema,
  isGatewayError,
} from './server-frames.ts';

const SCHEMA_OF_EXAMPLE = {
  session_started: SessionStartedSchema,
  token: RelayedTokenSchema,
  tool_call: RelayedToolCallSchema,
  done: RelayedDoneSchema,
  gateway_error: GatewayErrorFrameSchema,
  agent_error: RelayedAgentErrorSchema,
  pong: WSPongSchema,
  unknown_event: RelayedUnknownEventSchema,
} as const;

describe('server frames', () => {
  it.each(Object.entries(SERVER_EXAMPLES))('accepts the %s example, alone and as a ServerFrame', (name, frame) => {
    expect(expectAccepted(SCHEMA_OF_EXAMPLE[name as keyof typeof SCHEMA_OF_EXAMPLE], frame)).toEqual(frame);
    expect(expectAccepted(ServerFrameSchema, frame)).toEqual(frame);
  });

  it('requires seq ≥ 1 and, on relayed events, request_id', () => {
    expectRefused(WSPongSchema, { type: 'pong', seq: 0 }, ['seq']);
    expectRefused(RelayedTokenSchema, { type: 'token', content: 'a', seq: 2 }, ['request_id']);
    expectRefused(RelayedUnknownEventSchema, { type: 'thinking', seq: 2 }, ['request_id']);
  });

  it('says protocol_version 1 in session_started', () => {
    expectRefused(SessionStartedSchema, { ...SERVER_EXAMPLES.session_started, protocol_version: 2 }, ['protocol_version']);
  });

  it('a relayed agent error never says source "gateway" (§5: that tells the two kinds apart); other sources are the agent\'s', () => {
    const agentError = { type: 'error', code: 'model_overloaded', message: 'busy', request_id: 'r', seq: 4 };
    expectRefused(RelayedAgentErrorSchema, { ...agentError, source: 'gateway' }, ['source']);
    expectAccepted(RelayedAgentErrorSchema, { ...agentError, source: 'tool' });
    expectAccepted(RelayedAgentErrorSchema, agentError);
  });

  it('an agent event of type pong or session_started, relayed with its request_id, is not taken for the gateway\'s own frame', () => {
    expectRefused(WSPongSchema, { type: 'pong', seq: 5, request_id: 'r' }, ['request_id']);
    expectRefused(SessionStartedSchema, { ...SERVER_EXAMPLES.session_started, request_id: 'r' }, ['request_id']);
    expectAccepted(RelayedUnknownEventSchema, { type: 'pong', seq: 5, request_id: 'r' });
    expectAccepted(RelayedUnknownEventSchema, { type: 'session_started', seq: 5, request_id: 'r' });
  });

  it('refuses a relayed token with a wrong field as any ServerFrame', () => {
    expect(ServerFrameSchema.safeParse({ type: 'token', content: 1, request_id: 'r', seq: 2 }).success).toBe(false);
  });
});

describe('gateway errors', () => {
  it.each(GATEWAY_ERROR_CODES)('accepts code %s', (code) => {
    // §1: a refused upgrade's body has the WSErrorResponse shape, without `seq`; a frame adds it.
    expectAccepted(WSErrorResponseSchema, errorBodyExample(code));
    expectAccepted(GatewayErrorFrameSchema, { ...errorBodyExample(code), seq: 3 });
    expect(ErrorBodySchema).toBe(WSErrorResponseSchema);
  });

  it('refuses a code outside the closed set, a missing retryable and another source', () => {
    const body = errorBodyExample('internal_error');
    expectRefused(WSErrorResponseSchema, { ...body, code: 'model_overloaded' }, ['code']);
    expectRefused(WSErrorResponseSchema, { ...body, retryable: undefined }, ['retryable']);
    expectRefused(WSErrorResponseSchema, { ...body, source: 'agent' }, ['source']);
    expectRefused(WSErrorResponseSchema, { ...body, details: 'x' }, ['details']);
    expectRefused(WSErrorResponseSchema, { ...body, retry_after_ms: -1 }, ['retry_after_ms']);
    // §5: each code has its retryable.
    expectRefused(WSErrorResponseSchema, { ...body, retryable: false }, ['retryable']);
    expectRefused(GatewayErrorFrameSchema, { ...errorBodyExample('invalid_json'), retryable: true, seq: 1 }, ['retryable']);
    expectRefused(GatewayErrorFrameSchema, body, ['seq']);
  });

  it('tells a gateway error from a relayed agent error with the same code', () => {
    expect(isGatewayError(SERVER_EXAMPLES.gateway_error)).toBe(true);
    const agentError = { ...SERVER_EXAMPLES.agent_error, code: 'queue_full' };
    expect(isGatewayError(agentError)).toBe(false);
    expect(isGatewayError(SERVER_EXAMPLES.token)).toBe(false);
  });
});
