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
export function utf8Length(text: string): number {
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
