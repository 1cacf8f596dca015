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
