import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { IgnoredLineFilter } from './ignored-lines.ts';

/** The `data` of every event in `stream`, fed as `chunks` (CR line ends kept whole, as AgentClient feeds them). */
function dataOf(chunks: string[], filter: boolean): string[] {
  const events: string[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e.data) });
  const ignored = new IgnoredLineFilter();
  let skipLeadingLF = false;
  for (let text of chunks) {
    if (skipLeadingLF && text.charCodeAt(0) === 10) text = text.slice(1);
    skipLeadingLF = text.charCodeAt(text.length - 1) === 13;
    if (skipLeadingLF) text += '\n';
    const fed = filter ? ignored.push(text) : text;
    if (fed.length > 0) parser.feed(fed);
  }
  return events;
}

/** A seeded generator, so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const LINES = ['data: {"a":1}', 'data:x', 'data', 'dat', 'da: y', 'datax: z', ': note', ':', 'id: 7', 'event: e', 'retry: 10', 'x', 'data: é😀', ''];
const ENDS = ['\n', '\r', '\r\n'];

describe('IgnoredLineFilter', () => {
  it('gives the parser the same events as the whole stream, however it is split', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed);
      let stream = '';
      for (let i = 0; i < 30; i++) stream += LINES[Math.floor(next() * LINES.length)]! + ENDS[Math.floor(next() * ENDS.length)]!;
      const expected = dataOf([stream], false);
      const chunks: string[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = 1 + Math.floor(next() * 12);
        chunks.push(stream.slice(at, at + size));
        at += size;
      }
      expect({ seed, events: dataOf(chunks, true) }).toEqual({ seed, events: expected });
    }
  });

  it('drops an unfinished ignored line and what follows of it, and holds back at most four characters of a line it cannot tell yet', () => {
    const filter = new IgnoredLineFilter();
    expect(filter.push('data: 1\n: ')).toBe('data: 1\n');
    expect(filter.push('c'.repeat(100_000))).toBe('');
    expect(filter.push('cc\r\nid: 9')).toBe('');
    expect(filter.push('9\ndat')).toBe('');
    expect(filter.push('a: 2\n\nda')).toBe('data: 2\n\n');
    expect(filter.push('ta')).toBe('');
    // Whole lines of the event still unfinished at the end of the text too: only its `data` lines go on.
    expect(filter.push('x: 3\ndata: 4')).toBe('data: 4');
    expect(filter.push(' and more\n: c\rid: 1\r\ndata: 5\r\n')).toBe(' and more\ndata: 5\r\n');
    // Lines of events that end in the text go as they are (the parser lets go of them at the event's end).
    const events = ': hi\ndata: {"type":"token"}\n\nid: 1\rdata: {"type":"done"}\r\n\r\n';
    expect(filter.push(events)).toBe(events);
    expect(filter.push(`${events}: c\ndata: 6\n`)).toBe(`${events}data: 6\n`);
    // Events, then one begun, its last line unfinished: the same text too.
    const begun = `${events}data: 7\ndata: {"type":"tok`;
    expect(filter.push(begun)).toBe(begun);
  });

  it('keeps no part of a read for the comment lines between an event\'s data lines: what it feeds is a copy, not a view of the read', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const filter = new IgnoredLineFilter();
    // What the parser keeps of each line: a slice of its value, as eventsource-parser takes it.
    const values: string[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    // Comment lines whole in a read, and comment lines that cross reads (the end of one, a data line, the start of the next).
    const pad = 'p'.repeat(65_000);
    const reads = (i: number) => [`data: 0123456789abc${i}\n: ${pad}`, `${pad}\ndata: 0123456789abd${i}\n: ${pad}${i}\n`];
    for (let i = 0; i < 500; i++) {
      for (const read of reads(i)) {
        const fed = filter.push(read);
        expect(fed).toMatch(/^data: 0123456789ab[cd]\d+\n$/);
        values.push(fed.slice(6, -1));
      }
    }
    gc();
    // 1,000 reads of 65 KB: 65 MB if each value held its read.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(10_000_000);
    expect(values).toHaveLength(1000);
  });
});
