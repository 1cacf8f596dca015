import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, expectBadConfigExit, expectPortInUseExit, expectSigtermRightAfterListening, firstLine } from './process-output.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

const spawnMain = (env: Record<string, string>) =>
  spawn(tsx, ['src/main.node.ts'], {
    cwd: appDir,
    env: { ...process.env, MOCK_AGENT__HOST: '', MOCK_AGENT__PORT: '', MOCK_AGENT__API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });


describe('main.node.ts', () => {
  it('writes one listening line with the real port, serves, and exits 0 on SIGTERM', async () => {
    const child = spawnMain({ MOCK_AGENT__PORT: '0', MOCK_AGENT__API_KEY: 'never-logged' });
    const exited = once(child, 'exit');
    const stderr = collect(child.stderr!);
    try {
      const line = await firstLine(child);
      const entry = JSON.parse(line) as { level: string; msg: string; url: string };
      expect(entry).toMatchObject({ level: 'info', msg: 'listening' });
      expect(entry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(entry.url).not.toMatch(/:0$/);
      expect(line).not.toContain('never-logged');
      const res = await fetch(`${entry.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal, stderr: stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  // Five start-ups (tsx compiles on each): more than vitest's default 5 s on a busy machine.
  it('exits 0 on a SIGTERM sent as soon as the listening line is read', () => expectSigtermRightAfterListening(spawnMain), 60_000);

  it('exits 1 with a message naming the variable on bad config', () => expectBadConfigExit(spawnMain));

  it('exits 1 with one line naming MOCK_AGENT__PORT when the port is taken', () => expectPortInUseExit(spawnMain));
});
