import { describe, expect, it } from 'vitest';
import { isRequestId, isSessionId } from './common.ts';
import { DEFAULT_LIMITS } from './limits.ts';

describe('DEFAULT_LIMITS', () => {
  it('are protocol.md §10’s defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ max_message_bytes: 1_048_576, max_queued_messages: 16, max_id_length: 128 });
  });

  it('max_id_length is the ids’ own bound', () => {
    const at = 'a'.repeat(DEFAULT_LIMITS.max_id_length);
    expect([isSessionId(at), isRequestId(at)]).toEqual([true, true]);
    expect([isSessionId(`${at}a`), isRequestId(`${at}a`)]).toEqual([false, false]);
  });
});
