import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLOSE_REASONS, CloseCode } from '../src/close-codes.ts';
import { GATEWAY_ERROR_RETRYABLE, UPGRADE_ERROR_STATUS } from '../src/errors.ts';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

/** The body rows of the markdown table whose header row is `header`, as trimmed cells. */
const tableRows = (header: string): string[][] => {
  const lines = readme.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`README has no table ${header}`);
  const body: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    body.push(line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return body;
};

describe('README tables', () => {
  it('list the gateway error codes with their retryable and upgrade status', () => {
    const rows = tableRows('| code | retryable | HTTP (upgrade) |');
    const expected = Object.entries(GATEWAY_ERROR_RETRYABLE).map(([code, retryable]) => [
      `\`${code}\``,
      String(retryable),
      String((UPGRADE_ERROR_STATUS as Record<string, number>)[code] ?? ''),
    ]);
    expect(rows).toEqual(expected);
  });

  it('list the close codes with their reasons', () => {
    const rows = tableRows('| `CloseCode` | code | reason | when |').map(([name, code, reason]) => [name, code, reason]);
    const expected = Object.entries(CloseCode).map(([name, code]) => [`\`${name}\``, String(code), `\`${CLOSE_REASONS[code]}\``]);
    expect(rows).toEqual(expected);
  });
});
