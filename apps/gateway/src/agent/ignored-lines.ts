/**
 * Takes the lines the gateway ignores out of an SSE stream before it is
 * parsed: comments (`: keep-alive`) and every field but `data` (`event:`,
 * `id:`, `retry:`, unknown ones). The parser holds an unfinished line until
 * its end arrives and refuses one past its buffer size, so a long comment or
 * `id:` line split across chunks failed the turn while the same line in one
 * chunk passed (protocol.md §4: a chunk may end anywhere; only an event's
 * `data` is bounded). Here such a line is dropped as it streams, its end
 * included: nothing of it is held, and the parser never sees it (an ignored
 * line sets nothing the gateway reads, and dropping it whole leaves the
 * blank lines that end events where they were).
 *
 * Only a chunk's unfinished last line is looked at: whole lines go to the
 * parser, which holds none of them. Input: decoded text whose CR line ends
 * are never split from their LF (the caller ends a chunk's final CR with LF
 * at once). A line whose start cannot tell yet (`da`, which may become
 * `data:`) is held back until it can: at most four characters.
 */
export class IgnoredLineFilter {
  /** Inside a line being dropped, until its end. */
  #skipping = false;
  /** What was fed last ended inside a `data` line: the next text goes on with it. */
  #inDataLine = false;
  /** The start of a line, not yet known to be `data` or not (a prefix of `data`). */
  #carry = '';

  /** Returns what to feed the parser. */
  push(chunk: string): string {
    let text = this.#carry.length > 0 ? this.#carry + chunk : chunk;
    this.#carry = '';
    if (this.#skipping) {
      const end = firstLineEnd(text);
      if (end < 0) return '';
      this.#skipping = false;
      text = text.slice(end);
    }
    // The last line of the text starts after its last line end (a CR is never the text's last
    // character), or where the text starts unless that goes on with a `data` line.
    const lastEnd = lastLineEnd(text);
    if (lastEnd < 0 && this.#inDataLine) return text;
    const tailStart = lastEnd + 1;
    const tail = tailStart === 0 ? text : text.slice(tailStart);
    this.#inDataLine = tail.startsWith('data:');
    if (tail.length === 0 || this.#inDataLine) return text;
    if ('data'.startsWith(tail)) this.#carry = tail;
    else this.#skipping = true;
    // A CR before the cut ends its line now: the parser would hold it, waiting to see an LF.
    return text.charCodeAt(tailStart - 1) === 13 ? text.slice(0, tailStart) + '\n' : text.slice(0, tailStart);
  }
}

/**
 * Index of the last CR or LF, or -1. A CR is looked for only after the last LF: a chunk
 * that ends with its line (the usual case) costs two character reads, not a scan.
 */
function lastLineEnd(text: string): number {
  let last = text.lastIndexOf('\n');
  for (let cr = text.indexOf('\r', last + 1); cr >= 0; cr = text.indexOf('\r', cr + 1)) last = cr;
  return last;
}

/** Index just past the first line end (CR, LF or CRLF), or -1. */
function firstLineEnd(text: string): number {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (cr >= 0 && (lf < 0 || cr < lf)) return text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
  return lf < 0 ? -1 : lf + 1;
}
