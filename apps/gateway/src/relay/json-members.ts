/**
 * The members of a JSON object's text, as written, without the top-level
 * ones whose names `drop` holds: `{"type":"x", "n": 1.0}` less `n` is
 * `"type":"x"`. A relayed agent event is its own text with the gateway's
 * fields set (§5), so its numbers keep every digit (JSON.parse and
 * JSON.stringify would turn a 64-bit id into the nearest double) and any
 * depth of nesting goes through (no recursion).
 *
 * `text` must be a JSON object that `JSON.parse` accepted: nothing is checked
 * again. Members are joined by `,` with the spacing between them left out;
 * names are compared decoded (`"se\u0071"` is `seq`). A name given twice
 * keeps its last member only, the one `JSON.parse` kept: what the gateway
 * read (`type`, `source`) is what the IDE reads, whichever duplicate its
 * parser would have taken. Linear in the text.
 */
export function membersWithout(text: string, drop: ReadonlySet<string>): string {
  const kept: (string | undefined)[] = [];
  // Each kept name's place in `kept`.
  const places = new Map<string, number>();
  let i = skipSpace(text, text.indexOf('{') + 1);
  while (text.charCodeAt(i) !== CLOSE_BRACE) {
    const start = i;
    const nameEnd = endOfString(text, i);
    const quoted = text.slice(i, nameEnd);
    const name = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
    // The value, after the colon.
    i = endOfValue(text, skipSpace(text, skipSpace(text, nameEnd) + 1));
    if (!drop.has(name)) {
      const earlier = places.get(name);
      if (earlier !== undefined) kept[earlier] = undefined;
      places.set(name, kept.push(text.slice(start, i)) - 1);
    }
    i = skipSpace(text, i);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return (places.size === kept.length ? kept : kept.filter((member) => member !== undefined)).join(',');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    // JSON's whitespace: space, tab, LF, CR.
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** `i` at a string's opening quote: the index after its closing one. */
function endOfString(text: string, i: number): number {
  for (let at = i + 1; ; ) {
    const quote = text.indexOf('"', at);
    // The quote is escaped when an odd number of backslashes comes right before it.
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/** `i` at a value's first character: the index after its last. */
function endOfValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return endOfString(text, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to what follows it.
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
      i++;
    }
    return i;
  }
  // An object or an array: to the bracket that closes it, strings skipped whole.
  let depth = 0;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
}
