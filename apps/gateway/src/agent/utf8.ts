const encoder = new TextEncoder();

/**
 * Whether `text` takes more than `limit` bytes in UTF-8. A string of n UTF-16
 * units takes between n and 3n bytes, so most strings need no encoding.
 */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  if (text.length > limit) return true;
  return encoder.encode(text).byteLength > limit;
}

/** The UTF-8 length of `text` in bytes, without encoding it (a surrogate pair is 4 bytes). */
export const utf8Length: (text: string) => number =
  // Node's native count is some 10× faster than a loop over the string; Deno has no Buffer global.
  (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer?.byteLength !== undefined
    ? (text) => (globalThis as unknown as { Buffer: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer.byteLength(text, 'utf8')
    : utf8LengthOf;

/** `utf8Length` by a loop over the UTF-16 units. */
export function utf8LengthOf(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}
