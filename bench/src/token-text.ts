/** Token `index` as zero-padded decimal digits, the last `size` of them: the mock agent's `tokenText`. */
export function tokenText(index: number, size = 4): string {
  const digits = String(index).padStart(size, '0');
  return digits.slice(digits.length - size);
}

const expected = new Map<string, string>();

/** The exact content of a `tokens` stream of `count` tokens: what every client must receive. */
export function expectedContent(count: number, size: number): string {
  const key = `${count}:${size}`;
  let text = expected.get(key);
  if (text === undefined) {
    text = '';
    for (let i = 0; i < count; i++) text += tokenText(i, size);
    expected.set(key, text);
  }
  return text;
}
