import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';

/** The first stdout line of a child process (the `listening` line of an entrypoint). */
export const firstLine = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before writing a line`)));
  });

/** Collects a stream's text; call the result to read what came so far. */
export const collect = (stream: NodeJS.ReadableStream) => {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
};

/** An entrypoint given an unparseable port exits 1, names the variable on stderr and writes nothing to stdout. */
export async function expectBadConfigExit(spawnMain: (env: Record<string, string>) => ChildProcess): Promise<void> {
  const child = spawnMain({ MOCK_AGENT__PORT: 'eighty' });
  const stderr = collect(child.stderr!);
  const stdout = collect(child.stdout!);
  const [code] = await once(child, 'exit');
  expect(code).toBe(1);
  expect(stderr()).toMatch(/MOCK_AGENT__PORT/);
  expect(stdout()).toBe('');
}
