import { builtinModules } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };

// The package runs on Node, Deno and in browsers: its shipped source may use
// only web-standard globals and its declared dependencies.

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const RUNTIME_GLOBALS = /\b(?:process\.|Buffer\b|__dirname\b|__filename\b|require\(|Deno\.|Bun\.|global\.)/;
const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

const stripComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

/** What makes `source` non-portable, one line each. */
function portabilityProblems(source: string, allowedPackages: string[]): string[] {
  const code = stripComments(source);
  const problems: string[] = [];
  for (const [, specifier] of code.matchAll(IMPORT_SPECIFIER)) {
    if (specifier === undefined || specifier.startsWith('.')) continue;
    if (NODE_BUILTINS.has(specifier) || specifier.startsWith('node:')) problems.push(`imports ${specifier}`);
    else if (!allowedPackages.some((name) => specifier === name || specifier.startsWith(`${name}/`))) {
      problems.push(`imports ${specifier}, which is not a dependency`);
    }
  }
  code.split('\n').forEach((line, i) => {
    const match = RUNTIME_GLOBALS.exec(line);
    if (match) problems.push(`line ${i + 1} uses ${match[0]}`);
  });
  return problems;
}

const shippedSources = async (): Promise<string[]> => {
  const entries = await readdir(new URL('../src/', import.meta.url), { recursive: true });
  return entries.filter((file) => file.endsWith('.ts') && !/\.test(-d)?\.ts$/.test(file)).sort();
};

describe('shipped source', () => {
  it('has no Node-only imports or globals', async () => {
    const files = await shippedSources();
    expect(files).toContain('index.ts');
    expect(files).toContain('documents/index.ts');
    const allowed = Object.keys(packageJson.dependencies);
    const problems: string[] = [];
    for (const file of files) {
      const source = await readFile(new URL(`../src/${file}`, import.meta.url), 'utf8');
      problems.push(...portabilityProblems(source, allowed).map((p) => `src/${file}: ${p}`));
    }
    expect(problems).toEqual([]);
  });

  it('the scan catches what it looks for', () => {
    const offending = [
      "import { readFile } from 'node:fs';",
      "import path from 'path';",
      "const { x } = await import('node:crypto');",
      "import chalk from 'chalk';",
      'const port = process.env.PORT;',
      "const b = Buffer.from('x');",
    ].join('\n');
    expect(portabilityProblems(offending, ['zod'])).toHaveLength(6);
    const fine = ["import { z } from 'zod';", "import { x } from './x.ts';", "const url = 'http://localhost'; // process.env"].join('\n');
    expect(portabilityProblems(fine, ['zod'])).toEqual([]);
  });
});
