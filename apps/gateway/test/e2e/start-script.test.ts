import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { uniqueRequest, uniqueSession } from '../support/harness.ts';
import { connect } from '../support/ws-client.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

/** The README's main job (`pnpm start` runs `node scripts/start.mjs`): the mock agent and the gateway, as a newcomer starts them. */
function startScript(env: Record<string, string>) {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    detached: true, // its own process group, as a terminal's Ctrl-C reaches it
    env: { ...process.env, GATEWAY__HOST: '127.0.0.1', MOCK_AGENT__HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => stdout.push(line));
  const line = (predicate: (text: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const found = stdout.find(predicate);
      if (found !== undefined) return resolve(found);
      lines.on('line', (text) => predicate(text) && resolve(text));
      void exited.then(() => reject(new Error(`exited; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr}`)));
    });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  };
  return { child, exited, line, stdout, stderr: () => stderr, kill };
}

/** Runs `body` with a loopback port another listener holds (a port in use), released after. */
async function withPortTaken(body: (port: number) => Promise<void>): Promise<void> {
  const holder = createServer();
  try {
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    await body((holder.address() as AddressInfo).port);
  } finally {
    holder.close();
  }
}

/** The pid of the child of `parent` whose command line holds `part` (Linux: /proc). */
async function childPid(parent: number, part: string): Promise<number> {
  const children = (await readFile(`/proc/${parent}/task/${parent}/children`, 'utf8')).trim().split(/\s+/);
  for (const pid of children) {
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(part)) return Number(pid);
  }
  throw new Error(`no child of ${parent} runs ${part}`);
}

describe('scripts/start.mjs (pnpm start)', () => {
  it('serves a turn through the mock agent, prints the demo command for its port, and stops both on Ctrl-C', async () => {
    const run = startScript({ GATEWAY__PORT: '0', MOCK_AGENT__PORT: '0' });
    try {
      const up = await run.line((text) => text.startsWith('Agent Gateway is up'));
      const ws = /connect an IDE to (ws:\/\/127\.0\.0\.1:\d+)\/ws\/<session_id>/.exec(up)?.[1];
      expect(ws).toBeDefined();
      // Not 8000: the demo is told where the gateway is, with the pinned pnpm a newcomer has.
      expect(await run.line((text) => text.startsWith('Try it from another terminal:'))).toBe(
        `Try it from another terminal: GATEWAY_URL=${ws} npx -y pnpm@12.4.2 demo`,
      );
      await run.line((text) => text === 'Ctrl-C stops both.');
      const client = await connect(`${ws}/ws/${uniqueSession()}`);
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'hello', request_id: id });
      expect(await client.terminal(id)).toMatchObject({ type: 'done' });
      process.kill(-run.child.pid!, 'SIGINT');
      expect((await client.closed).code).toBe(1001);
      const [code] = await run.exited;
      expect(code).toBe(0);
    } finally {
      run.kill();
    }
  });

  it('an agent named in GATEWAY__AGENT_URL is the one the gateway uses, the mock agent is not started, and the banner says so', async () => {
    // The mock agent's port is taken (by the named agent, say): it does not matter, no mock agent is started.
    await withPortTaken(async (port) => {
      const run = startScript({ GATEWAY__PORT: '0', MOCK_AGENT__PORT: String(port), GATEWAY__AGENT_URL: `http://127.0.0.1:${port}` });
      try {
        const up = await run.line((text) => text.startsWith('Agent Gateway is up'));
        expect(up).toMatch(new RegExp(`\\(agent at http://127\\.0\\.0\\.1:${port}, from GATEWAY__AGENT_URL: the mock agent is not started\\)\\.$`));
        await run.line((text) => text === 'Ctrl-C stops it.');
        process.kill(-run.child.pid!, 'SIGINT');
        const [code] = await run.exited;
        expect(code).toBe(0);
        expect(run.stdout.filter((text) => text.startsWith('[mock-agent]'))).toEqual([]);
      } finally {
        run.kill();
      }
    });
  });

  it('the gateway signalled alone lets its turn finish, closes with 1001, and its exit stops the mock agent and start', async () => {
    const run = startScript({ GATEWAY__PORT: '0', MOCK_AGENT__PORT: '0' });
    try {
      const up = await run.line((text) => text.startsWith('Agent Gateway is up'));
      const ws = /connect an IDE to (ws:\/\/127\.0\.0\.1:\d+)\/ws\/<session_id>/.exec(up)![1]!;
      const client = await connect(`${ws}/ws/${uniqueSession()}`);
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'x', request_id: id, metadata: { scenario: { name: 'slow', count: 5, delay_ms: 100 } } });
      await client.next((frame) => frame.type === 'token' && frame.request_id === id);
      // The README's `pkill -TERM -f dist/main.node.mjs`, kept to this run's own children.
      process.kill(await childPid(run.child.pid!, 'dist/main.node.mjs'), 'SIGTERM');
      expect(await client.terminal(id)).toMatchObject({ type: 'done', finish_reason: 'stop' });
      expect(client.frameOf(id).filter((frame) => frame.type === 'token')).toHaveLength(5);
      expect((await client.closed).code).toBe(1001);
      const [code] = await run.exited;
      expect(code).toBe(0);
      expect(() => process.kill(-run.child.pid!, 0)).toThrow();
    } finally {
      run.kill();
    }
  });

  it('the mock agent killed once up: start says so, stops the gateway and exits 1', async () => {
    const run = startScript({ GATEWAY__PORT: '0', MOCK_AGENT__PORT: '0' });
    try {
      await run.line((text) => text.startsWith('Agent Gateway is up'));
      process.kill(await childPid(run.child.pid!, 'src/main.node.ts'), 'SIGKILL');
      const [code] = await run.exited;
      expect(code).toBe(1);
      expect(run.stderr()).toContain('mock-agent exited with signal SIGKILL; stopping');
      expect(() => process.kill(-run.child.pid!, 0)).toThrow();
    } finally {
      run.kill();
    }
  });

  it('a gateway port in use: says so, naming GATEWAY__PORT, and exits 1 with the mock agent stopped', async () => {
    await withPortTaken(async (port) => {
      const run = startScript({ GATEWAY__PORT: String(port), MOCK_AGENT__PORT: '0' });
      try {
        const [code] = await run.exited;
        expect(code).toBe(1);
        expect(run.stderr()).toContain(`gateway: cannot listen on 127.0.0.1:${port}: the port is in use; set GATEWAY__PORT to a free one`);
        expect(run.stderr()).not.toMatch(/\n\s+at /);
        // No process of its group is left (the mock agent included): signal 0 finds none.
        expect(() => process.kill(-run.child.pid!, 0)).toThrow();
      } finally {
        run.kill();
      }
    });
  });
});
