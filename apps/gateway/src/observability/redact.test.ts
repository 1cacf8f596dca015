import { describe, expect, it } from 'vitest';
import { createRedactor } from './redact.ts';

describe('createRedactor', () => {
  it('is undefined without a secret, so frames and lines cost nothing more', () => {
    expect(createRedactor({ internalApiKey: undefined, clientJwtSecret: undefined })).toBeUndefined();
  });

  it('replaces each secret in string values, also where JSON escapes it, longest first', () => {
    const stringify = createRedactor({ internalApiKey: 'k"e\\y-1', clientJwtSecret: 'k"e\\y-1-and-more' })!;
    expect(stringify({ message: 'k"e\\y-1 then k"e\\y-1-and-more', nested: ['x k"e\\y-1'] })).toBe(
      '{"message":"[REDACTED] then [REDACTED]","nested":["x [REDACTED]"]}',
    );
  });

  it('never touches names, numbers or the JSON itself, however short the secret', () => {
    const stringify = createRedactor({ internalApiKey: '1', clientJwtSecret: 'type' })!;
    const frame = { type: 'pong', id: 'a1b', seq: 12, typed: true };
    const text = stringify(frame);
    expect(JSON.parse(text)).toEqual({ type: 'pong', id: 'a[REDACTED]b', seq: 12, typed: true });
  });

  it('leaves text without a secret as JSON.stringify writes it', () => {
    const stringify = createRedactor({ internalApiKey: 'secret-key', clientJwtSecret: undefined })!;
    const frame = { type: 'token', content: 'secret-ke', seq: 3 };
    expect(stringify(frame)).toBe(JSON.stringify(frame));
  });
});
