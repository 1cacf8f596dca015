import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderGeneratedFiles } from '../src/documents/index.ts';

const generatedDir = new URL('../generated/', import.meta.url);

const readOrNull = (name: string) => readFile(new URL(name, generatedDir), 'utf8').catch(() => null);

describe('generated/', () => {
  it.each(Object.entries(renderGeneratedFiles()))('%s is what the schemas produce now', async (name, expected) => {
    const actual = await readOrNull(name);
    if (actual === null) expect.fail(`generated/${name} is missing: run pnpm generate`);
    if (actual !== expected) {
      const actualLines = actual.split('\n');
      const line = expected.split('\n').findIndex((text, i) => text !== actualLines[i]);
      expect.fail(`generated/${name} is stale (first difference at line ${line + 1}): run pnpm generate`);
    }
  });

  it('files are pretty-printed JSON ending with a newline', () => {
    for (const [name, text] of Object.entries(renderGeneratedFiles())) {
      expect(text.endsWith('}\n'), name).toBe(true);
      expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    }
  });
});
