import { describe, expect, it } from 'vitest';
import { encodeSseComment, encodeSseEvent } from './sse.ts';

describe('encodeSseEvent', () => {
  it('writes an object as one data line of JSON', () => {
    expect(encodeSseEvent({ type: 'token', content: 'a\nb' })).toBe('data: {"type":"token","content":"a\\nb"}\n\n');
  });

  it('writes a string with one data line per line, whatever the line ends', () => {
    expect(encodeSseEvent('one\ntwo\r\nthree\rfour')).toBe('data: one\ndata: two\ndata: three\ndata: four\n\n');
    expect(encodeSseEvent('')).toBe('data: \n\n');
    expect(encodeSseEvent('end\n')).toBe('data: end\ndata: \n\n');
  });

  it.each([-5, Number.NaN, Number.POSITIVE_INFINITY])('refuses retry %s, which no receiver reads', (retry) => {
    expect(() => encodeSseEvent({ type: 'done', finish_reason: 'stop' }, { retry })).toThrow(RangeError);
  });

  it('refuses data that serializes to nothing', () => {
    expect(() => encodeSseEvent({ toJSON: () => undefined })).toThrow(/serializes to nothing/);
  });

  it('writes event, id and retry before the data', () => {
    expect(encodeSseEvent({ type: 'done', finish_reason: 'stop' }, { id: '7', event: 'message', retry: 1500.9 })).toBe(
      'event: message\nid: 7\nretry: 1500\ndata: {"type":"done","finish_reason":"stop"}\n\n',
    );
  });

  it('refuses an id or event name with a line break (it would inject fields)', () => {
    expect(() => encodeSseEvent('x', { id: '1\ndata: evil' })).toThrow(TypeError);
    expect(() => encodeSseEvent('x', { event: 'a\rb' })).toThrow(TypeError);
  });

  it('encodes UTF-8 text untouched', () => {
    const bytes = new TextEncoder().encode(encodeSseEvent({ content: 'é😀' }));
    expect(new TextDecoder().decode(bytes)).toBe('data: {"content":"é😀"}\n\n');
  });
});

describe('encodeSseComment', () => {
  it('writes a comment line that cannot break out of itself', () => {
    expect(encodeSseComment()).toBe(': keep-alive\n\n');
    expect(encodeSseComment('a\r\ndata: x')).toBe(': a data: x\n\n');
  });
});
