import { describe, expectTypeOf, it } from 'vitest';
import type { ClientMessage, WSCancel, WSPing, WSToolResult, WSUserMessage } from './client-frames.ts';

describe('ClientMessage', () => {
  it('narrows on type', () => {
    const narrow = (message: ClientMessage) => {
      switch (message.type) {
        case 'user_message':
          return expectTypeOf(message).toEqualTypeOf<WSUserMessage>();
        case 'tool_result':
          return expectTypeOf(message).toEqualTypeOf<WSToolResult>();
        case 'cancel':
          return expectTypeOf(message).toEqualTypeOf<WSCancel>();
        case 'ping':
          return expectTypeOf(message).toEqualTypeOf<WSPing>();
        default:
          return expectTypeOf(message).toBeNever();
      }
    };
    expectTypeOf(narrow).toBeFunction();
    expectTypeOf<ClientMessage['type']>().toEqualTypeOf<'user_message' | 'tool_result' | 'cancel' | 'ping'>();
  });

  it('has the wire fields, with the optional ones optional', () => {
    expectTypeOf<WSUserMessage['content']>().toEqualTypeOf<string>();
    expectTypeOf<WSUserMessage['request_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WSUserMessage['metadata']>().toEqualTypeOf<Record<string, unknown> | undefined>();
    expectTypeOf<WSCancel['request_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WSPing['id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WSToolResult['is_error']>().toEqualTypeOf<boolean | undefined>();
  });

  it('keeps extra fields in the type (loose objects)', () => {
    expectTypeOf<{ type: 'ping'; client_version: string }>().toExtend<WSPing>();
    expectTypeOf<WSUserMessage['anything']>().toEqualTypeOf<unknown>();
  });
});

describe('WSToolResult.result', () => {
  it('is unknown and required', () => {
    expectTypeOf<WSToolResult['result']>().toEqualTypeOf<unknown>();
    expectTypeOf<{ type: 'tool_result'; tool_call_id: string; result: unknown }>().toExtend<WSToolResult>();
    expectTypeOf<{ type: 'tool_result'; tool_call_id: string; result: null }>().toExtend<WSToolResult>();
    expectTypeOf<{ type: 'tool_result'; tool_call_id: string }>().not.toExtend<WSToolResult>();
  });
});
