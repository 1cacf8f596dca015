import type { EventStreamWriter } from '../event-stream.ts';
import { tokenEvent, tokenText } from '../events.ts';

/** Writes one `token` event per content, pausing `delayMs` between them (not before the first). */
export async function emitTokens(writer: EventStreamWriter, contents: Iterable<string>, delayMs = 0): Promise<void> {
  let first = true;
  for (const content of contents) {
    if (!first) await writer.sleep(delayMs);
    first = false;
    await writer.event(tokenEvent(content));
  }
}

/**
 * The contents `tokenText(0) … tokenText(count - 1)`, made one at a time: a
 * stream of 200 000 tokens of 500 characters must not sit in memory whole.
 */
export function* numberedTokens(count: number, size = 4): Generator<string> {
  for (let i = 0; i < count; i++) yield tokenText(i, size);
}
