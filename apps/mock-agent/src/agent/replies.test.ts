import { describe, expect, it } from 'vitest';
import { countLines, describeFile, describeFolder, describeToolError } from './replies.ts';
import { splitIntoTokens } from './tokenize.ts';

describe('replies', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
    ['a\r\nb\r\n', 2],
    ['\n', 1],
  ])('countLines(%j) = %i', (text, lines) => {
    expect(countLines(text)).toBe(lines);
  });

  it('describes a package.json by name and version', () => {
    expect(describeFile('package.json', '{\n  "name": "x"\n}\n')).toBe('`package.json` has 3 lines. It describes the package `x`.');
    expect(describeFile('package.json', '{"name":"x","version":"1.0.0"}')).toBe(
      '`package.json` has 1 line. It describes the package `x`, version 1.0.0.',
    );
  });

  it('describes another file by its first line', () => {
    expect(describeFile('a.txt', 'first\nsecond')).toBe('`a.txt` has 2 lines. The first line is: first');
    expect(describeFile('a.txt', '\nsecond')).toBe('`a.txt` has 2 lines. Its first line is blank.');
    expect(describeFile(undefined, '')).toBe('The file is empty.');
  });

  it('describes a folder: count, kinds and the first five entries', () => {
    const entries = Array.from({ length: 7 }, (_, i) => ({ name: `f${i}`, type: i < 2 ? 'dir' : 'file' }));
    expect(describeFolder('src', entries)).toBe(
      '`src` has 7 entries (2 folders, 5 files): f0 (dir), f1 (dir), f2 (file), f3 (file), f4 (file), and 2 more.',
    );
    expect(describeFolder('src', [])).toBe('`src` is empty.');
  });

  it('quotes a tool error', () => {
    expect(describeToolError('EACCES')).toBe('The tool reported an error: EACCES. Ask me for another file or folder.');
    expect(describeToolError({ code: 1 })).toContain('{"code":1}');
  });
});

describe('splitIntoTokens', () => {
  it.each(['Hello, world!', '  leading and trailing  ', 'a\nb\n\nc', 'héllo 日本語テキスト 👋🏽👋🏽👋🏽', ''])('%j joins back', (text) => {
    const tokens = splitIntoTokens(text);
    expect(tokens.join('')).toBe(text);
    expect(tokens.every((t) => [...t.trim()].length <= 5)).toBe(true);
  });
});
