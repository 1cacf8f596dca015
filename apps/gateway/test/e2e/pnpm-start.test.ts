import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INTERNAL_KEY, scenario, uniqueRequest, uniqueSession, withAgent } from '../support/harness.ts';
import { connect } from '../support/ws-client.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

/** pnpm as this test run was started with it (`npx pnpm@… test` sets npm_execpath), else from PATH. */
function pnpmCommand(): { command: string; args: string[] } {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) {
    // pnpm 12 may be a single executable, or a JavaScript file run by node.
    return /\.[cm]?js$/.test(execPath) ? { command: process.execPath, args: [execPath] } : { command: execPath, args: [] };
  }
  return { command: 'pnpm', args: [] };
}

describe.each(['start', 'start:deno'])('pnpm --filter @agent-gateway/gateway %s', (script) => {
  it('drains and exits 0 when a process manager sends SIGTERM to its process group', async () => {
    await withAgent(async (agent) => {
      const { command, args } = pnpmCommand();
      const child = spawn(command, [...args, '--filter', '@agent-gateway/gateway', script], {
        cwd: root,
        detached: true, // its own process group, as under a process manager
        env: { ...process.env, GATEWAY__HOST: '127.0.0.1', GATEWAY__PORT: '0', GATEWAY__AGENT_URL: agent.url, GATEWAY__INTERNAL_API_KEY: INTERNAL_KEY, GATEWAY__SHUTDOWN_GRACE: '10' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = once(child, 'exit');
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout! }).on('line', (line) => {
            if (line.includes('"msg":"listening"')) resolve(String((JSON.parse(line) as { url: string }).url));
          });
          void exited.then(() => reject(new Error(`exited before listening: ${stderr}`)));
        });
        const client = await connect(`${url.replace(/^http/, 'ws')}/ws/${uniqueSession()}`);
        const id = uniqueRequest();
        client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 20, delay_ms: 25 }) });
        await client.next((f) => f.request_id === id && f.type === 'token');
        process.kill(-child.pid!, 'SIGTERM');
        expect(await client.terminal(id)).toMatchObject({ type: 'done', finish_reason: 'stop' });
        expect((await client.closed).code).toBe(1001);
        const [code, signal] = await exited;
        expect({ code, signal, stderr }).toMatchObject({ code: 0, signal: null });
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
    });
  });
});
