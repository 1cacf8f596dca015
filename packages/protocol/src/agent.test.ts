import { describe, expect, it } from 'vitest';
import { expectAccepted, expectRefused } from '../test/schema-assertions.ts';
import {
  AgentErrorEventSchema,
  AgentEventSchema,
  AgentMessageSchema,
  AgentRequestSchema,
  DoneEventSchema,
  KNOWN_FINISH_REASONS,
  TokenEventSchema,
  ToolCallEventSchema,
  isTerminalEventType,
} from './agent.ts';
import { AGENT_EXAMPLES, AGENT_REQUEST_EXAMPLE, CLIENT_EXAMPLES } from './documents/examples.ts';

describe('agent request', () => {
  it('accepts the example of protocol.md §3', () => {
    expect(expectAccepted(AgentRequestSchema, AGENT_REQUEST_EXAMPLE)).toEqual(AGENT_REQUEST_EXAMPLE);
  });

  it('carries the IDE frame with its extra fields and requires its request_id', () => {
    const message = { ...CLIENT_EXAMPLES.tool_result, client_hint: { a: 1 } };
    expect(expectAccepted(AgentMessageSchema, message)).toEqual(message);
    const { request_id: _, ...withoutId } = message;
    expectRefused(AgentMessageSchema, withoutId, ['request_id']);
  });

  it('refuses frames that do not start a turn, and a bad session id', () => {
    expectRefused(AgentMessageSchema, { type: 'cancel', request_id: 'r-1' }, ['type']);
    expectRefused(AgentRequestSchema, { ...AGENT_REQUEST_EXAMPLE, session_id: 'a/b' }, ['session_id']);
  });
});

describe('agent events', () => {
  it.each(Object.entries(AGENT_EXAMPLES))('AgentEventSchema accepts the %s example unchanged', (_, event) => {
    expect(expectAccepted(AgentEventSchema, event)).toEqual(event);
  });

  it('refuses a token whose content is not a string, at `content`', () => {
    expectRefused(TokenEventSchema, { type: 'token', content: 5 }, ['content']);
    expectRefused(TokenEventSchema, { type: 'token' }, ['content']);
    // The catch-all branch must not swallow a known type with a wrong field (§4).
    expect(AgentEventSchema.safeParse({ type: 'token', content: 5 }).success).toBe(false);
  });

  it('passes an unknown type through with every field', () => {
    const event = { type: 'progress', percent: 40, nested: { deep: [true] } };
    expect(expectAccepted(AgentEventSchema, event)).toEqual(event);
  });

  it.each([[null], [[]], ['token'], [42], [{}], [{ type: 7 }], [{ type: null }]])('refuses %j', (value) => {
    expect(AgentEventSchema.safeParse(value).success).toBe(false);
  });

  it('requires an object of arguments in tool_call', () => {
    const call = AGENT_EXAMPLES.tool_call;
    expectRefused(ToolCallEventSchema, { ...call, arguments: ['src'] }, ['arguments']);
    expectRefused(ToolCallEventSchema, { ...call, arguments: 'src' }, ['arguments']);
    expectRefused(ToolCallEventSchema, { ...call, name: undefined }, ['name']);
  });

  it.each([...KNOWN_FINISH_REASONS, 'content_filter', 'max_turns'])('accepts done with finish_reason %j', (reason) => {
    expect(expectAccepted(DoneEventSchema, { type: 'done', finish_reason: reason }).finish_reason).toBe(reason);
  });

  it('refuses done without a string finish_reason, or with bad usage', () => {
    expectRefused(DoneEventSchema, { type: 'done' }, ['finish_reason']);
    expectRefused(DoneEventSchema, { type: 'done', finish_reason: 1 }, ['finish_reason']);
    expectRefused(DoneEventSchema, { type: 'done', finish_reason: 'stop', usage: { input_tokens: -1 } }, ['usage', 'input_tokens']);
    expectRefused(DoneEventSchema, { type: 'done', finish_reason: 'stop', usage: { output_tokens: 1.5 } }, ['usage', 'output_tokens']);
  });

  it('takes any code in an agent error, and leaves an absent retryable absent', () => {
    const parsed = expectAccepted(AgentErrorEventSchema, { type: 'error', code: 'queue_full', message: 'busy' });
    expect(Object.hasOwn(parsed, 'retryable')).toBe(false);
    expectRefused(AgentErrorEventSchema, { type: 'error', code: 'x', message: 'y', retryable: 'no' }, ['retryable']);
    expectRefused(AgentErrorEventSchema, { type: 'error', message: 'y' }, ['code']);
  });

  it('names done and error as terminal', () => {
    expect(['token', 'tool_call', 'done', 'error', 'other'].filter(isTerminalEventType)).toEqual(['done', 'error']);
  });
});
