import { describe, expectTypeOf, it } from 'vitest';
import type { FinishReason } from './agent.ts';
import type { GatewayErrorCode } from './errors.ts';
import type {
  KnownServerFrame,
  RelayedAgentError,
  RelayedDone,
  RelayedToken,
  RelayedToolCall,
  ServerFrame,
  SessionStarted,
  WSErrorResponse,
  GatewayErrorFrame,
  WSPong,
} from './server-frames.ts';
import { isGatewayError } from './server-frames.ts';

describe('KnownServerFrame', () => {
  it('narrows on type', () => {
    const narrow = (frame: KnownServerFrame) => {
      switch (frame.type) {
        case 'session_started':
          expectTypeOf(frame).toEqualTypeOf<SessionStarted>();
          expectTypeOf(frame.protocol_version).toEqualTypeOf<1>();
          return;
        case 'token':
          expectTypeOf(frame).toEqualTypeOf<RelayedToken>();
          expectTypeOf(frame.content).toEqualTypeOf<string>();
          return;
        case 'tool_call':
          expectTypeOf(frame).toEqualTypeOf<RelayedToolCall>();
          expectTypeOf(frame.arguments).toEqualTypeOf<Record<string, unknown>>();
          return;
        case 'done':
          expectTypeOf(frame).toEqualTypeOf<RelayedDone>();
          expectTypeOf(frame.finish_reason).toEqualTypeOf<FinishReason>();
          return;
        case 'error':
          expectTypeOf(frame).toEqualTypeOf<GatewayErrorFrame | RelayedAgentError>();
          return;
        case 'pong':
          expectTypeOf(frame).toEqualTypeOf<WSPong>();
          return;
        default:
          expectTypeOf(frame).toBeNever();
      }
    };
    expectTypeOf(narrow).toBeFunction();
  });

  it('tells the two kinds of error apart with isGatewayError', () => {
    const onError = (frame: GatewayErrorFrame | RelayedAgentError) => {
      if (isGatewayError(frame)) {
        expectTypeOf(frame.code).toEqualTypeOf<GatewayErrorCode>();
        expectTypeOf(frame.retryable).toEqualTypeOf<boolean>();
      } else {
        expectTypeOf(frame.code).toEqualTypeOf<string>();
        expectTypeOf(frame.retryable).toEqualTypeOf<boolean | undefined>();
      }
    };
    expectTypeOf(onError).toBeFunction();
  });

  it('carries seq everywhere and request_id on turn frames', () => {
    expectTypeOf<KnownServerFrame['seq']>().toEqualTypeOf<number>();
    expectTypeOf<RelayedToken['request_id']>().toEqualTypeOf<string>();
    expectTypeOf<GatewayErrorFrame['request_id']>().toEqualTypeOf<string | undefined>();
    // The §1 HTTP body: the same shape without `seq` (a loose object: any other key is unknown).
    expectTypeOf<WSErrorResponse['seq']>().toEqualTypeOf<unknown>();
    expectTypeOf<GatewayErrorFrame['seq']>().toEqualTypeOf<number>();
    // The gateway's own frames of a connection carry none, so a client routes any frame by it.
    expectTypeOf<SessionStarted['request_id']>().toEqualTypeOf<undefined>();
    expectTypeOf<WSPong['request_id']>().toEqualTypeOf<undefined>();
    expectTypeOf<KnownServerFrame['request_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ServerFrame['request_id']>().toEqualTypeOf<string | undefined>();
  });

  it('lets finish_reason be any string while naming the known ones', () => {
    expectTypeOf<'stop'>().toExtend<FinishReason>();
    expectTypeOf<'content_filter'>().toExtend<FinishReason>();
  });

  it('keeps unknown relayed events in ServerFrame', () => {
    expectTypeOf<{ type: 'thinking'; request_id: string; seq: number; text: string }>().toExtend<ServerFrame>();
  });
});
