import { describe, expect, it } from 'vitest';
import { createRedactor } from './redact.ts';

describe('createRedactor', () => {
  it('is undefined without a secret, so frames and lines cost nothing more', () => {
    expect(createRedactor({ internalApiKey: undefined, clientJwtSecret: undefined })).toBeUndefined();
  });

  it('replaces each secret as written and as JSON escapes it, longest first', () => {
    const redact = createRedactor({ internalApiKey: 'k"e\\y-1', clientJwtSecret: 'k"e\\y-1-and-more' })!;
    const text = JSON.stringify({ message: 'k"e\\y-1 then k"e\\y-1-and-more' });
    expect(text).toContain('k\\"e\\\\y-1');
    expect(redact(text)).toBe('{"message":"[REDACTED] then [REDACTED]"}');
    expect(redact('raw k"e\\y-1')).toBe('raw [REDACTED]');
  });

  it('leaves text without a secret as it is', () => {
    const redact = createRedactor({ internalApiKey: 'secret-key', clientJwtSecret: undefined })!;
    expect(redact('{"type":"token","content":"secret-ke"}')).toBe('{"type":"token","content":"secret-ke"}');
  });
});
