import { describe, expect, it } from 'vitest';
import { exceedsUtf8Bytes, utf8Length, utf8LengthOf } from './utf8.ts';

const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

describe('exceedsUtf8Bytes', () => {
  it.each([
    ['ASCII', 'a', 1],
    ['2-byte', 'é', 2],
    ['3-byte', '中', 3],
    ['4-byte (a surrogate pair)', '😀', 4],
  ])('is exact around the limit for %s characters', (_name, char, size) => {
    expect(bytes(char)).toBe(size);
    for (const count of [1, 2, 3, 10, 333, 1000]) {
      const text = char.repeat(count);
      const total = size * count;
      expect(exceedsUtf8Bytes(text, total - 1), `${count} × ${char} vs ${total - 1}`).toBe(true);
      expect(exceedsUtf8Bytes(text, total), `${count} × ${char} vs ${total}`).toBe(false);
      expect(exceedsUtf8Bytes(text, total + 1), `${count} × ${char} vs ${total + 1}`).toBe(false);
      // Limits in the range where a string's UTF-16 length alone cannot decide.
      expect(exceedsUtf8Bytes(text, text.length)).toBe(total > text.length);
      expect(exceedsUtf8Bytes(text, text.length * 3 - 1)).toBe(total > text.length * 3 - 1);
    }
  });

  it('is exact for mixed strings at every limit near their size', () => {
    const samples = ['', 'a', 'aé', 'é中😀a', 'x'.repeat(50) + '😀', '中'.repeat(20) + 'a'.repeat(20), '𝄞é中a'.repeat(30)];
    for (const text of samples) {
      const total = bytes(text);
      for (let limit = Math.max(0, total - 5); limit <= total + 5; limit++) {
        expect(exceedsUtf8Bytes(text, limit), `${JSON.stringify(text)} vs ${limit}`).toBe(total > limit);
      }
    }
  });

  it('handles the empty string and a zero limit', () => {
    expect(exceedsUtf8Bytes('', 0)).toBe(false);
    expect(exceedsUtf8Bytes('a', 0)).toBe(true);
  });
});

describe('utf8Length', () => {
  it.each(['', 'abc', 'é', 'héllo', '中文', '😀', 'a😀b中é', '{"type":"token","content":"ééé😀"}', 'x'.repeat(1000) + '😀'.repeat(10)])(
    'is the UTF-8 byte count of %j',
    (text) => {
      expect(utf8Length(text)).toBe(bytes(text));
      expect(utf8LengthOf(text)).toBe(bytes(text));
    },
  );
});
