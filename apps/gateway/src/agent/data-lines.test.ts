import { describe, expect, it } from 'vitest';
import { DataLineCounter } from './data-lines.ts';

const STREAM = 'data: {"a":\ndata\ndata:1\r\ndatabase: x\n: data:\nid: data\rdata:2\r\rdata:\n\ndata';

describe('DataLineCounter', () => {
  it('counts data: lines and lone data lines, not other fields or text that holds "data"', () => {
    expect(new DataLineCounter().count(STREAM + '\n')).toBe(6);
  });

  it('counts the same however the stream is split, at every position', () => {
    for (let split = 0; split <= STREAM.length; split++) {
      const counter = new DataLineCounter();
      expect(counter.count(STREAM.slice(0, split)) + counter.count(STREAM.slice(split)) + counter.count('\n')).toBe(6);
    }
  });

  it('counts the same fed one character at a time', () => {
    const counter = new DataLineCounter();
    let count = 0;
    for (const c of STREAM + '\n') count += counter.count(c);
    expect(count).toBe(6);
  });

  it('skips a piece it is not asked to count, and still counts what follows right', () => {
    const counter = new DataLineCounter();
    counter.skip('data:1\n\nda');
    expect(counter.count('ta:2\ndata:3\nda')).toBe(2);
    counter.skip('ta: 4\n');
    expect(counter.count('data:5\n')).toBe(1);
  });
});
