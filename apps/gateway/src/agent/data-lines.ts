/**
 * Counts the `data` field lines of an SSE stream fed in pieces split
 * anywhere (a line's start may straddle two pieces): `data:…`, or `data`
 * alone on its line (an empty value). A line that starts with `data` but
 * goes on otherwise (`database: 1`) is another field.
 */
export class DataLineCounter {
  /** The start of a line begun at the end of the last piece, too short yet to tell. */
  #carry = '';
  /** The next piece begins a line (a stream does). */
  #atLineStart = true;

  /** Data lines that begin in `piece` (or in the carried start before it). */
  count(piece: string): number {
    const text = this.#carry + piece;
    const startsLine = this.#atLineStart || this.#carry !== '';
    let count = startsLine && isDataLineAt(text, 0) ? 1 : 0;
    for (const end of ['\n', '\r']) {
      for (let at = text.indexOf(`${end}data`); at !== -1; at = text.indexOf(`${end}data`, at + 5)) {
        if (isDataLineAt(text, at + 1)) count++;
      }
    }
    this.#follow(text, startsLine);
    return count;
  }

  /** Goes past `piece` without counting it: only where its last line begins is looked for. */
  skip(piece: string): void {
    const startsLine = this.#atLineStart || this.#carry !== '';
    this.#follow(this.#carry + piece, startsLine);
  }

  #follow(text: string, startsLine: boolean): void {
    const lastEnd = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    const tail = text.slice(lastEnd + 1);
    // A line's start that could still be `data`, with the character that decides it not here yet.
    this.#carry = (lastEnd !== -1 || startsLine) && tail !== '' && tail.length < 5 && 'data'.startsWith(tail) ? tail : '';
    this.#atLineStart = lastEnd === text.length - 1;
  }
}

/** `data` at `at`, then `:` or a line end (the character after it must be in `text`). */
function isDataLineAt(text: string, at: number): boolean {
  if (!text.startsWith('data', at)) return false;
  const next = text.charCodeAt(at + 4);
  return next === 58 || next === 10 || next === 13;
}
