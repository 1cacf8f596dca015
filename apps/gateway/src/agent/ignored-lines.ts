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
 * Whole lines are looked at only after a chunk's last blank line, where the
 * event still open at its end has its lines: those that are not `data` are
 * left out too, and what is fed is then a copy (below). The lines of events
 * that end in the chunk go to the parser as they are: it lets go of them at
 * each event's end. Input: decoded text whose CR line ends are never split
 * from their LF (the caller ends a chunk's final CR with LF at once). A line
 * whose start cannot tell yet (`da`, which may become `data:`) is held back
 * until it can: at most four characters.
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
    // The text goes on with a `data` line begun earlier: its first line is kept whatever it starts with.
    let continues = this.#inDataLine;
    // The text is part of the read (the end of a line left out cut off its start).
    let part = false;
    if (this.#skipping) {
      const end = firstLineEnd(text);
      if (end < 0) return '';
      this.#skipping = false;
      continues = false;
      part = end > 0;
      text = text.slice(end);
    }
    // The last line of the text starts after its last line end (a CR is never the text's last
    // character), or where the text starts unless that goes on with a `data` line.
    const lastEnd = lastLineEnd(text);
    if (lastEnd < 0 && this.#inDataLine) return text;
    const tailStart = lastEnd + 1;
    const tail = tailStart === 0 ? text : text.slice(tailStart);
    this.#inDataLine = tail.startsWith('data:');
    // The lines of the event still open at the end of the text, without those the parser ignores.
    const open = afterLastBlankLine(text, tailStart);
    const kept = withoutIgnoredLines(text, open, tailStart, continues && open === 0);
    let fed: string;
    if (this.#inDataLine || tail.length === 0) {
      fed = kept === undefined ? text : kept + tail;
    } else {
      if ('data'.startsWith(tail)) this.#carry = tail;
      else this.#skipping = true;
      fed = kept ?? text.slice(0, tailStart);
      // A view of the text: the open event's lines would hold the line left out after them.
      if (kept === undefined && open < tailStart) fed = copied(fed);
    }
    // The parser keeps slices of what it is fed for the open event's `data` lines (a value of 13
    // characters or more is a view of the text it was cut from): fed with lines left out, or as
    // part of a chunk whose start was left out, a copy, or each would hold the whole chunk (a
    // `data` line between comment lines of 64 KiB held 64 KiB a line).
    if (kept !== undefined || part) fed = copied(fed);
    // A CR that ends what is fed ends its line now: the parser would hold it, waiting to see an LF.
    return fed.charCodeAt(fed.length - 1) === 13 ? `${fed}\n` : fed;
  }
}

/**
 * `text[0, end)` with the lines from `from` on (whole lines) that are neither `data` fields
 * nor blank left out, line ends included; undefined when there are none. `continues`: the line
 * at `from` goes on with a `data` line begun before the text, and is kept.
 */
function withoutIgnoredLines(text: string, from: number, end: number, continues: boolean): string | undefined {
  let kept: string[] | undefined;
  let keptFrom = 0;
  let nextCr = text.indexOf('\r', from);
  for (let start = from; start < end; ) {
    // Just past this line's end (CR, LF or CRLF).
    const lf = text.indexOf('\n', start);
    if (nextCr >= 0 && nextCr < start) nextCr = text.indexOf('\r', start);
    const after = nextCr >= 0 && (lf < 0 || nextCr < lf) ? (text.charCodeAt(nextCr + 1) === 10 ? nextCr + 2 : nextCr + 1) : lf < 0 ? end : lf + 1;
    if (!(start === from && continues) && !isDataOrBlank(text, start)) {
      kept ??= [];
      if (start > keptFrom) kept.push(text.slice(keptFrom, start));
      keptFrom = after;
    }
    start = after;
  }
  if (kept === undefined) return undefined;
  if (end > keptFrom) kept.push(text.slice(keptFrom, end));
  // (No piece kept after a line left out starts with a line end: that would be a blank line, and
  // there is none after `from`. So a lone CR and an LF never meet to read as one CRLF.)
  return kept.join('');
}

/**
 * A copy of `text`, not a view of the string it was cut from (V8 keeps a slice, or a one-piece
 * join, as a view of the whole): slicing a concatenation makes V8 write it out flat first.
 */
const copied = (text: string): string => `${text}\n`.slice(0, -1);

/**
 * Just past the last blank line that ends within `text[0, end)` (a line end right after
 * another, CRLF counting as one), or 0. Looked for from the end: a read of whole events
 * ends with one.
 */
function afterLastBlankLine(text: string, end: number): number {
  for (let i = end - 1; i > 0; i--) {
    const char = text.charCodeAt(i);
    if (char !== 10 && char !== 13) continue;
    const before = text.charCodeAt(i - 1);
    if ((before === 10 || before === 13) && !(before === 13 && char === 10)) {
      return char === 13 && i + 1 < end && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
    }
  }
  return 0;
}

/** Whether the line at `start` is blank or a `data` field (`data:…`, or `data` alone). */
function isDataOrBlank(text: string, start: number): boolean {
  const first = text.charCodeAt(start);
  if (first === 10 || first === 13) return true;
  if (first !== 100 /* d */ || !text.startsWith('data', start)) return false;
  const after = text.charCodeAt(start + 4);
  return after === 58 /* : */ || after === 10 || after === 13 || Number.isNaN(after);
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
