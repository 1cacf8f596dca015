import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

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
