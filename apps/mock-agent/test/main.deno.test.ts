import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, expectBadConfigExit, expectPortInUseExit, expectSigtermRightAfterListening, firstLine } from './process-output.ts';
import { MockAgentEnvSchema } from '../src/config.ts';
import { RawConnection, rawPost } from './raw-http.ts';
import { STREAM_PATH, userMessage } from './helpers.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** `start:deno` as package.json has it, split into words. */
const startDeno = (): string[] => {
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts['start:deno']!.replace(/^exec\s+/, '').trim().split(/\s+/);
};

/** The binary the `deno` devDependency installed: spawned directly, so signals reach Deno itself. */
const denoBinary = (): string => {
  const require = createRequire(join(appDir, 'package.json'));
  const beside = join(dirname(require.resolve('deno/package.json')), 'deno');
  return existsSync(beside) ? beside : (require('deno/install_api.cjs') as { runInstall(): string }).runInstall();
};

const spawnMain = (env: Record<string, string>) => {
  const [, ...args] = startDeno();
  return spawn(denoBinary(), args, {
    cwd: appDir,
    env: { ...process.env, MOCK_AGENT__HOST: '', MOCK_AGENT__PORT: '', MOCK_AGENT__API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
};


describe('main.deno.ts', () => {
  it('start:deno grants the network and the mock agent\'s own variables, nothing else', () => {
    const [deno, ...args] = startDeno();
    expect(deno).toMatch(/(^|\/)deno$/);
    // --unstable-no-legacy-abort: request.signal aborts only when the client goes away, as on Node.
    expect(args).toEqual(['run', '--unstable-no-legacy-abort', '--allow-net', `--allow-env=${Object.keys(MockAgentEnvSchema.shape).join(',')}`, 'src/main.deno.ts']);
  });

  it('writes one listening line with the real port, streams, and exits 0 on SIGTERM with a stream still open', async () => {
    const child = spawnMain({ MOCK_AGENT__PORT: '0', MOCK_AGENT__API_KEY: 'never-logged', MOCK_AGENT__TOKEN_DELAY_MS: '0' });
    const exited = once(child, 'exit');
    const stderr = collect(child.stderr!);
    try {
      const line = await firstLine(child);
      const entry = JSON.parse(line) as { level: string; msg: string; url: string };
      expect(entry).toMatchObject({ level: 'info', msg: 'listening', api_key_required: true });
      expect(entry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(entry.url).not.toMatch(/:0$/);
      expect(line).not.toContain('never-logged');
      expect(await (await fetch(`${entry.url}/health`)).json()).toEqual({ status: 'ok' });

      const headers = { 'x-internal-api-key': 'never-logged' };
      const res = await rawPost(entry.url, STREAM_PATH, userMessage('hi', { name: 'tokens', count: 2 }), headers);
      expect(res.status).toBe(200);
      expect(res.complete).toBe(true);
      expect(res.body.toString()).toBe('data: {"type":"token","content":"0000"}\n\ndata: {"type":"token","content":"0001"}\n\ndata: {"type":"done","finish_reason":"stop"}\n\n');
      const records = (await (await fetch(`${entry.url}/_mock/requests`)).json()) as { status: number; aborted: boolean }[];
      expect(records.at(-1)).toMatchObject({ status: 200, aborted: false });

      const hanging = await RawConnection.open(entry.url);
      hanging.post(STREAM_PATH, userMessage('hi', 'hang_after_headers'), headers);
      await hanging.waitForBytes((text) => text.includes('200 OK'));
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal, stderr: stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
      await hanging.closed;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('differs from Node where it needs the socket: reset_before_headers is 501, cut_stream destroy errors the body, no connection counts', async () => {
    const child = spawnMain({ MOCK_AGENT__PORT: '0' });
    const exited = once(child, 'exit');
    const stderr = collect(child.stderr!);
    try {
      const { url } = JSON.parse(await firstLine(child)) as { url: string };
      const reset = await rawPost(url, STREAM_PATH, userMessage('hi', 'reset_before_headers'));
      expect(reset.status).toBe(501);
      expect(JSON.parse(reset.body.toString())).toMatchObject({ error: 'not_supported' });
      const cut = await rawPost(url, STREAM_PATH, userMessage('hi', { name: 'cut_stream', tokens_before: 2, mode: 'destroy' }));
      expect(cut.status).toBe(200);
      // As on Node, the chunked body stops without its last chunk.
      expect(cut.complete).toBe(false);
      expect(cut.body.toString()).toBe('data: {"type":"token","content":"0000"}\n\ndata: {"type":"token","content":"0001"}\n\n');
      expect(await (await fetch(`${url}/_mock/connections`)).json()).toEqual({ total: 0, open: 0 });
      child.kill('SIGINT');
      const [code] = await exited;
      expect({ code, stderr: stderr() }).toEqual({ code: 0, stderr: '' });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  // Five start-ups: more than vitest's default 5 s on a busy machine.
  it('exits 0 on a SIGTERM sent as soon as the listening line is read', () => expectSigtermRightAfterListening(spawnMain), 60_000);

  it('exits 1 with a message naming the variable on bad config', () => expectBadConfigExit(spawnMain));

  it('exits 1 with one line naming MOCK_AGENT__PORT when the port is taken', () => expectPortInUseExit(spawnMain));
});
