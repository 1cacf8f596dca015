import { describe, expect, it } from 'vitest';
import { expectAccepted, expectRefused } from '../test/schema-assertions.ts';
import {
  ClientMessageSchema,
  WSCancelSchema,
  WSPingSchema,
  WSToolResultSchema,
  WSUserMessageSchema,
} from './client-frames.ts';
import { CLIENT_EXAMPLES } from './documents/examples.ts';

describe('client frames', () => {
  it.each(Object.entries(CLIENT_EXAMPLES))('accepts the %s example', (_, frame) => {
    expect(expectAccepted(ClientMessageSchema, frame)).toEqual(frame);
  });

  it('refuses an unknown type at `type`', () => {
    expectRefused(ClientMessageSchema, { type: 'hello' }, ['type']);
    expectRefused(ClientMessageSchema, { content: 'hi' }, ['type']);
  });

  it('keeps fields it does not know, nested ones included', () => {
    const frame = { type: 'user_message', content: 'hi', client: { name: 'ide', v: [1, 2] }, x: null };
    expect(expectAccepted(ClientMessageSchema, frame)).toEqual(frame);
  });
});

describe('user_message', () => {
  it('refuses empty or missing content at `content`', () => {
    expect(expectRefused(WSUserMessageSchema, { type: 'user_message', content: '' }, ['content'])).toMatch(/non-empty/);
    expectRefused(WSUserMessageSchema, { type: 'user_message' }, ['content']);
    expectRefused(WSUserMessageSchema, { type: 'user_message', content: 42 }, ['content']);
  });

  it('takes an optional object as metadata', () => {
    expectAccepted(WSUserMessageSchema, { type: 'user_message', content: 'hi', metadata: { file: 'a.ts' } });
    expectRefused(WSUserMessageSchema, { type: 'user_message', content: 'hi', metadata: 'a.ts' }, ['metadata']);
    expectRefused(WSUserMessageSchema, { type: 'user_message', content: 'hi', metadata: [] }, ['metadata']);
  });

  it.each([
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'r 1'],
    ['non-ASCII', 'r-é'],
    ['empty', ''],
  ])('refuses a request_id of %s at `request_id`', (_, request_id) => {
    const message = expectRefused(WSUserMessageSchema, { type: 'user_message', content: 'hi', request_id }, ['request_id']);
    expect(message).toMatch(/request_id/);
  });

  it('accepts a request_id of 128 printable characters', () => {
    expectAccepted(WSUserMessageSchema, { type: 'user_message', content: 'hi', request_id: '~'.repeat(128) });
  });
});

describe('tool_result', () => {
  const base = { type: 'tool_result', tool_call_id: 'call-1' } as const;

  it('requires `result`, with a message that says null is a value', () => {
    expect(expectRefused(WSToolResultSchema, base, ['result'])).toMatch(/required.*null/);
  });

  it.each([[null], [false], [0], [''], [[]], [{}], ['text'], [{ entries: [{ name: 'a', type: 'file' }] }]])(
    'accepts result %j and keeps it as is',
    (result) => {
      const parsed = expectAccepted(WSToolResultSchema, { ...base, result });
      expect(parsed.result).toEqual(result);
      expect(Object.hasOwn(parsed, 'result')).toBe(true);
    },
  );

  it('leaves an absent is_error absent', () => {
    const parsed = expectAccepted(WSToolResultSchema, { ...base, result: null });
    expect(Object.hasOwn(parsed, 'is_error')).toBe(false);
    expect(expectAccepted(WSToolResultSchema, { ...base, result: 'no such file', is_error: true }).is_error).toBe(true);
  });

  it('refuses a non-boolean is_error and an empty tool_call_id', () => {
    expectRefused(WSToolResultSchema, { ...base, result: 1, is_error: 'yes' }, ['is_error']);
    expectRefused(WSToolResultSchema, { ...base, tool_call_id: '', result: 1 }, ['tool_call_id']);
    expectRefused(WSToolResultSchema, { type: 'tool_result', result: 1 }, ['tool_call_id']);
  });

  it('refuses a bad request_id', () => {
    expectRefused(WSToolResultSchema, { ...base, result: 1, request_id: 'a b' }, ['request_id']);
  });
});

describe('cancel', () => {
  it('accepts it with or without request_id', () => {
    expect(expectAccepted(WSCancelSchema, { type: 'cancel' })).toEqual({ type: 'cancel' });
    expect(expectAccepted(WSCancelSchema, { type: 'cancel', request_id: 'r-1' })).toEqual({ type: 'cancel', request_id: 'r-1' });
  });

  it('refuses an invalid request_id', () => {
    expectRefused(WSCancelSchema, { type: 'cancel', request_id: 'x'.repeat(129) }, ['request_id']);
  });
});

describe('ping', () => {
  it('takes an optional string id', () => {
    expect(expectAccepted(WSPingSchema, { type: 'ping' })).toEqual({ type: 'ping' });
    expect(expectAccepted(WSPingSchema, { type: 'ping', id: '' })).toEqual({ type: 'ping', id: '' });
    expectRefused(WSPingSchema, { type: 'ping', id: 7 }, ['id']);
  });
});
