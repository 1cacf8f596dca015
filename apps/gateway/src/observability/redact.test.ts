import { describe, expect, it } from 'vitest';
import { createRedactor, createTextRedactor, shownPath } from './redact.ts';

describe('createRedactor', () => {
  it('is undefined without an internal API key, so frames and lines cost nothing more', () => {
    expect(createRedactor({ internalApiKey: undefined })).toBeUndefined();
  });

  it('replaces the key in string values, also where JSON escapes it', () => {
    const stringify = createRedactor({ internalApiKey: 'k"e\\y-1' })!;
    expect(stringify({ message: 'k"e\\y-1 then k"e\\y-1k"e\\y-1', nested: ['x k"e\\y-1'] })).toBe(
      '{"message":"[REDACTED] then [REDACTED][REDACTED]","nested":["x [REDACTED]"]}',
    );
  });

  it('replaces the key where a string quotes it as JSON does (a message naming an agent\'s header value)', () => {
    const key = 'abc\\def"0123456789XYZ';
    const stringify = createRedactor({ internalApiKey: key })!;
    const message = `the agent answered 200 with content-type ${JSON.stringify(`text/${key}`)}`;
    const text = stringify({ type: 'error', message });
    expect(JSON.parse(text)).toEqual({ type: 'error', message: 'the agent answered 200 with content-type "text/[REDACTED]"' });
    expect(text).not.toContain('0123456789XYZ');
  });

  it('replaces the key in property names too', () => {
    const stringify = createRedactor({ internalApiKey: 'ikey-SECRET-0123456789' })!;
    const text = stringify({ type: 'tool_call', arguments: { 'ikey-SECRET-0123456789': 'as a name', headers: { 'x-internal-api-key': 'ikey-SECRET-0123456789' } } });
    expect(text).not.toContain('ikey-SECRET');
    expect(JSON.parse(text)).toEqual({ type: 'tool_call', arguments: { '[REDACTED]': 'as a name', headers: { 'x-internal-api-key': '[REDACTED]' } } });
  });

  it('leaves names whole for a key shorter than 16 characters: it could be part of the protocol’s own', () => {
    const stringify = createRedactor({ internalApiKey: 'seq' })!;
    expect(JSON.parse(stringify({ type: 'token', content: 'a seq', seq: 3 }))).toEqual({ type: 'token', content: 'a [REDACTED]', seq: 3 });
  });

  it('keeps a name such as __proto__ a name, and what toJSON gives', () => {
    const stringify = createRedactor({ internalApiKey: 'key-1' })!;
    const value = JSON.parse('{"__proto__":{"a":"key-1"},"when":null}') as Record<string, unknown>;
    value.when = new Date(0);
    expect(stringify(value)).toBe('{"__proto__":{"a":"[REDACTED]"},"when":"1970-01-01T00:00:00.000Z"}');
  });

  it('never touches numbers, names or the JSON itself when the key is short', () => {
    const stringify = createRedactor({ internalApiKey: '1' })!;
    const frame = { type: 'pong', id: 'a1b', seq: 12, typed: true };
    expect(JSON.parse(stringify(frame))).toEqual({ type: 'pong', id: 'a[REDACTED]b', seq: 12, typed: true });
  });

  it('leaves text without the key as JSON.stringify writes it', () => {
    const stringify = createRedactor({ internalApiKey: 'secret-key' })!;
    const frame = { type: 'token', content: 'secret-ke', seq: 3 };
    expect(stringify(frame)).toBe(JSON.stringify(frame));
    expect(stringify(undefined)).toBe(undefined);
  });
});

describe('createTextRedactor', () => {
  const key = 'internal/key&0123456789';

  it('leaves text without the key as it is written, numbers and spacing included', () => {
    const redact = createTextRedactor({ internalApiKey: key })!;
    const text = '{"type":"x", "id":12345678901234567890, "s":"caf\\u00e9 \\/"}';
    expect(redact(text)).toBe(text);
  });

  it('finds the key however the text spells it: as is, escaped as JSON.stringify would not (\\u0026, \\/)', () => {
    const redact = createTextRedactor({ internalApiKey: key })!;
    for (const spelled of [key, 'internal\\/key\\u00260123456789', '\\u0069nternal/key&0123456789', 'internal/key&012345678\\u0039']) {
      const out = redact(`{"type":"x","echo":"<${spelled}>"}`);
      expect(JSON.parse(out)).toEqual({ type: 'x', echo: '<[REDACTED]>' });
    }
    // A quote or a backslash in the key, spelled \u0022 or \u005c.
    const quoted = createTextRedactor({ internalApiKey: 'k"e\\y-0123456789' })!;
    expect(JSON.parse(quoted('{"echo":"k\\u0022e\\u005cy-0123456789"}'))).toEqual({ echo: '[REDACTED]' });
  });

  it('finds the key quoted as JSON inside a string of the event', () => {
    const redact = createTextRedactor({ internalApiKey: 'abc\\def0123456789XYZ' })!;
    const text = JSON.stringify({ type: 'x', echo: JSON.stringify({ key: 'abc\\def0123456789XYZ' }) });
    expect(JSON.parse(redact(text))).toEqual({ type: 'x', echo: '{"key":"[REDACTED]"}' });
  });

  it('reads an escaped backslash as one escape: what follows it is text, not an escape of its own', () => {
    const redact = createTextRedactor({ internalApiKey: 'Akey-0123456789abc' })!;
    // `\\u0041key…` is a backslash, then the letters u0041key…: no key in it.
    const text = '{"echo":"\\\\u0041key-0123456789abc"}';
    expect(redact(text)).toBe(text);
  });

  it('leaves an event of any depth alone when the key is not in it, however it is escaped (no parsing)', () => {
    const redact = createTextRedactor({ internalApiKey: key })!;
    const depth = 200_000;
    const text = `{"type":"progress","s":"caf\\u00e9 \\u003c\\/a\\u003e","a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(redact(text)).toBe(text);
  });
});

describe('shownPath', () => {
  const key = 'key/with&reserved-0123456789';

  it('names the path without the key, as sent or percent-encoded, a malformed escape elsewhere or not', () => {
    for (const path of [`/x/${key}`, '/x/key%2Fwith%26reserved-0123456789', '/x/%zz/key%2Fwith%26reserved-0123456789', '/%E0%A4%A/key%2fwith%26reserved-0123456789/y']) {
      const shown = shownPath(path, key);
      expect(shown).toContain('[REDACTED]');
      expect(shown).not.toMatch(/reserved-0123456789/);
    }
    expect(shownPath('/x/%zz/ok', key)).toBe('/x/%zz/ok');
  });

  it('takes client tokens out, and cuts a long path', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJzMSJ9.c2lnbmF0dXJl';
    expect(shownPath(`/ws/s1/${token}`, undefined)).toBe('/ws/s1/[REDACTED]');
    expect(shownPath(`/${'a'.repeat(5000)}`, key).length).toBeLessThan(2100);
  });
});
