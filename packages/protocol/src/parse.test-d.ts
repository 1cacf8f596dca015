import { describe, expectTypeOf, it } from 'vitest';
import type { AgentErrorEvent, DoneEvent, KnownAgentEvent, TokenEvent, ToolCallEvent, UnknownAgentEvent } from './agent.ts';
import type { ClientMessage } from './client-frames.ts';
import { parseAgentEvent, parseClientMessage, parseServerFrame, type ProtocolIssue } from './parse.ts';
import type { GatewayErrorCode } from './errors.ts';
import { isGatewayError, type KnownServerFrame, type RelayedToken, type RelayedUnknownEvent, type SessionStarted, type WSPong } from './server-frames.ts';

describe('parseAgentEvent', () => {
  it('narrows on ok, then known, then type', () => {
    const result = parseAgentEvent('');
    if (!result.ok) {
      expectTypeOf(result.message).toEqualTypeOf<string>();
      expectTypeOf(result.issues).toEqualTypeOf<ProtocolIssue[]>();
      return;
    }
    if (!result.known) {
      expectTypeOf(result.event).toEqualTypeOf<UnknownAgentEvent>();
      expectTypeOf(result.event.type).toEqualTypeOf<string>();
      return;
    }
    expectTypeOf(result.event).toEqualTypeOf<KnownAgentEvent>();
    const event = result.event;
    if (event.type === 'token') expectTypeOf(event).toEqualTypeOf<TokenEvent>();
    if (event.type === 'tool_call') expectTypeOf(event).toEqualTypeOf<ToolCallEvent>();
    if (event.type === 'done') expectTypeOf(event).toEqualTypeOf<DoneEvent>();
    if (event.type === 'error') expectTypeOf(event).toEqualTypeOf<AgentErrorEvent>();
  });
});

describe('parseClientMessage', () => {
  it('narrows on ok', () => {
    const result = parseClientMessage('');
    if (result.ok) {
      expectTypeOf(result.message).toEqualTypeOf<ClientMessage>();
    } else {
      expectTypeOf(result.error).toEqualTypeOf<'invalid_json' | 'invalid_message'>();
      expectTypeOf(result.raw).toEqualTypeOf<unknown>();
    }
  });
});

describe('parseServerFrame', () => {
  it('narrows on ok, then known, then type; errors on isGatewayError', () => {
    const result = parseServerFrame('');
    if (!result.ok) {
      expectTypeOf(result.error).toEqualTypeOf<'invalid_json' | 'invalid_message'>();
      return;
    }
    if (!result.known) {
      expectTypeOf(result.frame).toEqualTypeOf<RelayedUnknownEvent>();
      return;
    }
    expectTypeOf(result.frame).toEqualTypeOf<KnownServerFrame>();
    const frame = result.frame;
    if (frame.type === 'token') {
      expectTypeOf(frame).toEqualTypeOf<RelayedToken>();
      expectTypeOf(frame.content).toEqualTypeOf<string>();
    }
    if (frame.type === 'session_started') expectTypeOf(frame).toEqualTypeOf<SessionStarted>();
    if (frame.type === 'pong') expectTypeOf(frame).toEqualTypeOf<WSPong>();
    if (frame.type === 'error' && isGatewayError(frame)) expectTypeOf(frame.code).toEqualTypeOf<GatewayErrorCode>();
  });
});
