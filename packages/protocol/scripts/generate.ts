// Writes generated/*.json from the Zod schemas: `pnpm generate`.
// A test fails while these files differ from what the builders produce.
import { mkdir, writeFile } from 'node:fs/promises';
import { renderGeneratedFiles } from '../src/documents/index.ts';

const outDir = new URL('../generated/', import.meta.url);
await mkdir(outDir, { recursive: true });
for (const [name, text] of Object.entries(renderGeneratedFiles())) {
  await writeFile(new URL(name, outDir), text);
  console.log(`wrote generated/${name}`);
}
