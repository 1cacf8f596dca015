import { describe, expect, it } from 'vitest';
import { CLOSE_REASONS, CloseCode } from './close-codes.ts';

describe('close codes', () => {
  it('are the ones protocol.md uses', () => {
    expect(CloseCode).toEqual({
      NORMAL: 1000,
      GOING_AWAY: 1001,
      INVALID_PAYLOAD: 1007,
      POLICY_VIOLATION: 1008,
      MESSAGE_TOO_BIG: 1009,
      INTERNAL_ERROR: 1011,
      SESSION_TAKEN_OVER: 4001,
    });
    expect(CLOSE_REASONS[CloseCode.POLICY_VIOLATION]).toBe('slow_consumer');
  });

  it('never include the codes reserved for reporting (RFC 6455 §7.4.1)', () => {
    for (const code of Object.values(CloseCode)) expect([1005, 1006, 1015]).not.toContain(code);
  });

  it('each have a reason that fits a close frame (123 bytes)', () => {
    for (const code of Object.values(CloseCode)) {
      const reason = CLOSE_REASONS[code];
      expect(reason).toMatch(/^[a-z_]+$/);
      expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(123);
    }
  });
});
