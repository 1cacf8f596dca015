import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
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

/** An entrypoint whose port is taken exits 1 with one line naming MOCK_AGENT__PORT (no stack trace), nothing on stdout. */
export async function expectPortInUseExit(spawnMain: (env: Record<string, string>) => ChildProcess): Promise<void> {
  const holder = createServer();
  try {
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as AddressInfo).port;
    const child = spawnMain({ MOCK_AGENT__HOST: '127.0.0.1', MOCK_AGENT__PORT: String(port) });
    const stderr = collect(child.stderr!);
    const stdout = collect(child.stdout!);
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr().trim()).toBe(`mock-agent: cannot listen on 127.0.0.1:${port}: the port is in use; set MOCK_AGENT__PORT to a free one (0: any free port)`);
    expect(stdout()).toBe('');
  } finally {
    holder.close();
  }
}

/** A SIGTERM sent the moment the listening line is read ends the process with exit 0, not by the signal (five tries). */
export async function expectSigtermRightAfterListening(spawnMain: (env: Record<string, string>) => ChildProcess): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const child = spawnMain({ MOCK_AGENT__PORT: '0' });
    try {
      const exited = once(child, 'exit');
      await firstLine(child);
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
