import { describe, expect, it } from 'vitest';
import { parseAgentEvent, parseClientMessage, parseServerFrame } from './parse.ts';

// Inputs a socket or an upstream can deliver; none of them may throw.
const ODD_INPUTS = [
  '',
  ' ',
  'null',
  'true',
  '42',
  '[]',
  '"x"',
  '{',
  '}',
  '{"type":',
  '\u0000',
  '\ud800',
  '{"type":"\ud800"}',
  '{"type":"user_message","content":"\ud800"}',
  '{"__proto__":{"type":"ping"}}',
  '{"type":"__proto__"}',
  '{"type":"constructor"}',
  '{"type":"toString"}',
  '{"type":"ping","__proto__":{"polluted":true}}',
  '['.repeat(200_000),
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `{"type":"user_message","content":"x","metadata":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`,
  `{"type":"token","content":"x","extra":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
  'x'.repeat(1_000_000),
];

describe('parseClientMessage', () => {
  it('returns the frame, extra fields included', () => {
    expect(parseClientMessage('{"type":"cancel","request_id":"r-1","why":"user"}')).toEqual({
      ok: true,
      message: { type: 'cancel', request_id: 'r-1', why: 'user' },
    });
  });

  it('keeps every field as received, one named __proto__ included, at any depth', () => {
    const text = '{"type":"user_message","content":"x","__proto__":{"a":1},"metadata":{"__proto__":{"b":2},"c":3}}';
    const result = parseClientMessage(text);
    expect(result.ok).toBe(true);
    const message = (result as { message: Record<string, unknown> }).message;
    expect(JSON.stringify({ ...message })).toBe(text);
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
  });

  it.each([[''], ['{'], ['not json']])('says invalid_json for text %j that is not JSON', (text) => {
    const result = parseClientMessage(text);
    expect(result).toMatchObject({ ok: false, error: 'invalid_json', issues: [] });
    expect(result.ok === false && result.raw).toBeUndefined();
  });

  it.each([['null'], ['[]'], ['"x"'], ['42'], ['[{"type":"ping"}]']])('says invalid_json for JSON %s that is not an object', (text) => {
    expect(parseClientMessage(text)).toMatchObject({ ok: false, error: 'invalid_json', message: 'a frame must be a JSON object' });
  });

  it('says invalid_message with the issues and the raw frame', () => {
    const result = parseClientMessage('{"type":"tool_result","tool_call_id":"c1","request_id":"r-9"}');
    expect(result).toMatchObject({
      ok: false,
      error: 'invalid_message',
      issues: [{ path: ['result'], code: 'custom' }],
      raw: { request_id: 'r-9' },
    });
    expect(result.ok === false && result.message).toMatch(/^result: result is required/);
  });

  it('names the field of a bad request_id', () => {
    const result = parseClientMessage(JSON.stringify({ type: 'user_message', content: 'hi', request_id: 'a b' }));
    expect(result.ok === false && result.issues.map((i) => i.path)).toEqual([['request_id']]);
  });

  it('does not let a __proto__ key change the frame prototype', () => {
    const result = parseClientMessage('{"type":"ping","__proto__":{"polluted":true}}');
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (result.ok) expect((result.message as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(ODD_INPUTS.map((input) => [input.slice(0, 40), input]))('never throws on %j…', (_, input) => {
    const result = parseClientMessage(input);
    expect(typeof result.ok).toBe('boolean');
  });
});

describe('parseAgentEvent', () => {
  it('validates known types and keeps their extra fields', () => {
    expect(parseAgentEvent('{"type":"token","content":"Hi","logprob":-0.1}')).toEqual({
      ok: true,
      known: true,
      event: { type: 'token', content: 'Hi', logprob: -0.1 },
    });
  });

  it('keeps a known event\'s field named __proto__ as received', () => {
    const text = '{"type":"done","finish_reason":"stop","__proto__":{"x":1}}';
    const result = parseAgentEvent(text);
    expect(result.ok).toBe(true);
    expect(JSON.stringify({ ...(result as { event: object }).event })).toBe(text);
  });

  it('passes an unknown type through unchanged', () => {
    const event = { type: 'thinking', content: 7, deep: { a: [null] } };
    expect(parseAgentEvent(JSON.stringify(event))).toEqual({ ok: true, known: false, event });
  });

  it('refuses a known type with a wrong field, with the path', () => {
    const result = parseAgentEvent('{"type":"token","content":5}');
    expect(result).toMatchObject({ ok: false, issues: [{ path: ['content'], code: 'invalid_type' }] });
    expect(result.ok === false && result.message).toMatch(/^invalid `token` event: content:/);
  });

  it.each([
    ['null', /not a JSON object/],
    ['[]', /not a JSON object/],
    ['"token"', /not a JSON object/],
    ['{', /not valid JSON/],
    ['{}', /no string `type`/],
    ['{"type":1}', /no string `type`/],
    ['{"type":null}', /no string `type`/],
  ])('refuses %s', (data, message) => {
    const result = parseAgentEvent(data);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.message).toMatch(message);
  });

  it('says why data is not JSON without quoting it: an agent may echo a secret (§1)', () => {
    const secret = 'Zq8-Wx2-Lp9-Mn4-Rt7-Yh5-Cv3-Bn6';
    for (const data of [secret, `{"type":"token","content":"a"} ${secret}`, `{"type":${secret}}`, `hi ${secret}`]) {
      const result = parseAgentEvent(data);
      expect(result.ok).toBe(false);
      const message = result.ok === false ? result.message : '';
      expect(message).toMatch(/^event data is not valid JSON: /);
      // Not even a part of it: nothing of the data beyond one character V8 names.
      for (let at = 0; at + 3 <= secret.length; at++) expect(message).not.toContain(secret.slice(at, at + 3));
    }
  });

  it('treats names of Object.prototype as unknown types, not as schemas', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(parseAgentEvent(JSON.stringify({ type }))).toMatchObject({ ok: true, known: false });
    }
  });

  it.each(ODD_INPUTS.map((input) => [input.slice(0, 40), input]))('never throws on %j…', (_, input) => {
    const result = parseAgentEvent(input);
    expect(typeof result.ok).toBe('boolean');
  });
});

describe('parseAgentEvent token fast path', () => {
  it.each([
    '{"type":"token","content":"abcd"}',
    '{"type":"token","content":""}',
    '{"type":"token","content":"héllo 日本 🚀"}',
    '{"type":"token","content":"a\\"b"}',
    '{"type":"token","content":"a\\\\b\\n"}',
    '{"type":"token","content":"x","extra":1}',
    '{"type":"token","content":"x"} ',
    '{"type":"token","content":"x\u0001"}',
    '{"type":"token","content":"x"}}',
    // The prefix's opening quote and the closing `"}` overlap: not JSON.
    '{"type":"token","content":"}',
    '{"type":"token","content":"',
  ])('agrees with JSON.parse + the schema on %s', (data) => {
    const parsed = parseAgentEvent(data);
    let expected: unknown;
    try {
      const value = JSON.parse(data) as { content?: unknown };
      expected = typeof value.content === 'string' ? { ok: true, known: true, event: value } : { ok: false };
    } catch {
      expected = { ok: false };
    }
    if ((expected as { ok: boolean }).ok) expect(parsed).toEqual(expected);
    else expect(parsed.ok).toBe(false);
  });
});

describe('parseServerFrame', () => {
  const known = (frame: object) => {
    const result = parseServerFrame(JSON.stringify(frame));
    if (!result.ok) throw new Error(result.message);
    return result;
  };

  it('classifies every frame the gateway sends, kept as received', () => {
    const frames = [
      { type: 'session_started', session_id: 's', protocol_version: 1, seq: 1 },
      { type: 'token', content: 'hi', request_id: 'r', seq: 2, extra: [1] },
      { type: 'tool_call', tool_call_id: 't', name: 'read_file', arguments: { path: 'a' }, request_id: 'r', seq: 3 },
      { type: 'done', finish_reason: 'tool_calls', request_id: 'r', seq: 4 },
      { type: 'error', code: 'queue_full', message: 'm', retryable: true, source: 'gateway', request_id: 'r', seq: 5 },
      { type: 'error', code: 'llm_overloaded', message: 'm', retryable: true, request_id: 'r', seq: 6 },
      { type: 'pong', id: 'p', seq: 7 },
    ];
    for (const frame of frames) {
      const result = known(frame);
      expect(result.known).toBe(true);
      expect(result.frame).toEqual(frame);
    }
  });

  it('an agent event named like a gateway frame is a relayed unknown event: it carries its turn’s request_id', () => {
    for (const frame of [
      { type: 'session_started', session_id: 'evil', protocol_version: 1, request_id: 'r', seq: 7 },
      { type: 'pong', id: 'p', request_id: 'r', seq: 8 },
      { type: 'progress', percent: 50, request_id: 'r', seq: 9 },
    ]) {
      const result = known(frame);
      expect(result.known).toBe(false);
      expect(result.frame).toEqual(frame);
    }
  });

  it('an error is the gateway’s only with source "gateway", and then only with a gateway code and its retryable', () => {
    expect(known({ type: 'error', code: 'agent_timeout', message: 'm', retryable: true, source: 'llm', request_id: 'r', seq: 1 }).known).toBe(true);
    const wrong = parseServerFrame(JSON.stringify({ type: 'error', code: 'llm_overloaded', message: 'm', retryable: true, source: 'gateway', request_id: 'r', seq: 1 }));
    expect(wrong).toMatchObject({ ok: false, error: 'invalid_message' });
    const retryable = parseServerFrame(JSON.stringify({ type: 'error', code: 'queue_full', message: 'm', retryable: false, source: 'gateway', seq: 1 }));
    expect(retryable).toMatchObject({ ok: false, error: 'invalid_message', message: expect.stringContaining('retryable') });
  });

  it('refuses what the gateway never sends, naming the field', () => {
    expect(parseServerFrame('[1]')).toMatchObject({ ok: false, error: 'invalid_json' });
    expect(parseServerFrame('{"type":"token","content":5,"request_id":"r","seq":1}')).toMatchObject({ ok: false, error: 'invalid_message', message: expect.stringContaining('content') });
    expect(parseServerFrame('{"type":"progress","request_id":"r"}')).toMatchObject({ ok: false, error: 'invalid_message', message: expect.stringContaining('seq') });
    expect(parseServerFrame('{"type":"session_started","session_id":"s","protocol_version":2,"seq":1}')).toMatchObject({ ok: false });
  });

  it('never throws', () => {
    for (const input of ODD_INPUTS) expect(() => parseServerFrame(input)).not.toThrow();
  });
});
