export interface SseFields {
  /** Written as an `id:` line. */
  id?: string;
  /** Written as an `event:` line. */
  event?: string;
  /** Written as a `retry:` line (milliseconds, truncated to an integer; a negative or non-finite value throws). */
  retry?: number;
}

const assertSingleLine = (name: string, value: string) => {
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${name} must not contain a line break`);
};

/**
 * Encodes one Server-Sent Event (WHATWG HTML §9.2.5). An object is written as
 * one `data:` line of JSON; a string is written as is, one `data:` line per
 * line of it (the receiver joins them with `\n`).
 */
export function encodeSseEvent(data: object | string, fields: SseFields = {}): string {
  let out = '';
  if (fields.event !== undefined) {
    assertSingleLine('event', fields.event);
    out += `event: ${fields.event}\n`;
  }
  if (fields.id !== undefined) {
    assertSingleLine('id', fields.id);
    out += `id: ${fields.id}\n`;
  }
  if (fields.retry !== undefined) {
    // A receiver ignores a `retry:` that is not all ASCII digits (WHATWG HTML §9.2.6).
    if (!(fields.retry >= 0 && fields.retry <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`SSE retry must be a number of milliseconds, 0 or more, not ${fields.retry}`);
    out += `retry: ${Math.trunc(fields.retry)}\n`;
  }
  const text = typeof data === 'string' ? data : (JSON.stringify(data) as string | undefined);
  if (text === undefined) throw new TypeError('SSE data serializes to nothing (a toJSON that returns undefined?)');
  for (const line of text.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** An SSE comment line, e.g. a keep-alive: not an event, but activity on the stream. */
export const encodeSseComment = (text = 'keep-alive'): string => `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
