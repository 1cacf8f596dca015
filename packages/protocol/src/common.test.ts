import { describe, expect, it } from 'vitest';
import { expectAccepted, expectRefused } from '../test/schema-assertions.ts';
import { RequestIdSchema, SeqSchema, SessionIdSchema, isRequestId, isSessionId, safeInteger } from './common.ts';

describe('RequestIdSchema', () => {
  it.each([['a'], ['r-42'], ['x'.repeat(128)], ['!~'], ['0123e4567-e89b-12d3-a456-426614174000'], ['a:b/c?d=e&f#g']])(
    'accepts %j',
    (id) => {
      expect(expectAccepted(RequestIdSchema, id)).toBe(id);
      expect(isRequestId(id)).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'r 42'],
    ['a tab', 'r\t42'],
    ['a newline (header injection)', 'r42\r\nx-evil: 1'],
    ['non-ASCII', 'ré'],
    ['DEL', 'r\x7f'],
  ])('refuses %s', (_, id) => {
    expect(expectRefused(RequestIdSchema, id, [])).toMatch(/printable ASCII/);
    expect(isRequestId(id)).toBe(false);
  });

  it('refuses a non-string', () => {
    expectRefused(RequestIdSchema, 42, []);
    expect(isRequestId(42)).toBe(false);
  });
});

describe('SessionIdSchema', () => {
  it.each([['s1'], ['A-Z.a_z:0-9'], ['x'.repeat(128)]])('accepts %j', (id) => {
    expectAccepted(SessionIdSchema, id);
    expect(isSessionId(id)).toBe(true);
  });

  it.each([[''], ['x'.repeat(129)], ['a/b'], ['a%2Fb'], ['a%20b'], ['a b'], ['é'], ['a?b']])('refuses %j', (id) => {
    expect(expectRefused(SessionIdSchema, id, [])).toMatch(/\[A-Za-z0-9\._:-\]/);
    expect(isSessionId(id)).toBe(false);
  });
});

describe('SeqSchema', () => {
  it('is a positive integer', () => {
    expectAccepted(SeqSchema, 1);
    expectRefused(SeqSchema, 0, []);
    expectRefused(SeqSchema, 1.5, []);
    expectRefused(SeqSchema, '1', []);
  });
});

describe('safeInteger', () => {
  it('refuses a value past 2^53 − 1 with one issue, not two', () => {
    for (const value of [1e20, -1e20, Number.MAX_SAFE_INTEGER + 2]) {
      const result = safeInteger().safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues).toHaveLength(1);
    }
    expect(safeInteger().safeParse(Number.MAX_SAFE_INTEGER).success).toBe(true);
    expect(safeInteger(0).safeParse(-1).error?.issues).toHaveLength(1);
  });
});
