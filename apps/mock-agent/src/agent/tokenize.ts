/**
 * Splits a reply into small text deltas the way a model streams them: each
 * token is the whitespace before a word plus up to five of its characters
 * (code points, so an emoji is never split). Joining the tokens gives the text back.
 */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*\S{1,5}|\s+$/gu) ?? [];
}
