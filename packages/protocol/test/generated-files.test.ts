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

  // Code generators of other languages compile `pattern` with their own engine: RE2 (Go), Rust's
  // regex and pydantic refuse lookaround and backreferences. Plain groups `(?:…)` are fine.
  it('every pattern is one that RE2-style engines compile (no lookaround, no backreference)', () => {
    const patterns: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'pattern' && typeof value === 'string') patterns.push(value);
          else walk(value);
        }
      }
    };
    for (const text of Object.values(renderGeneratedFiles())) walk(JSON.parse(text));
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) expect(pattern).not.toMatch(/\(\?[=!<]|\\[1-9]|\\k</);
  });
});
