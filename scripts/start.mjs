#!/usr/bin/env node
// `pnpm start`: the mock agent on 8001 and the gateway on 8000, as two
// processes; prints where to connect; Ctrl-C (or SIGTERM) stops both, and one
// that exits stops the other. With GATEWAY__AGENT_URL set, the gateway alone,
// relaying to that agent.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// The README's way to run pnpm on a machine with only Node and npm: `npx -y pnpm@<pinned>`.
const pnpm = `npx -y ${JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).packageManager}`;
const agentPort = process.env.MOCK_AGENT__PORT || '8001';
const gatewayPort = process.env.GATEWAY__PORT || '8000';

/** Set once `start` stops the children (Ctrl-C, SIGTERM, one of them gone): their exits are then asked for. */
let stopping = false;

/** How a child ended, for a message: `code 1`, `signal SIGKILL`. */
const endOf = (child) => (child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`);
const hasExited = (child) => child.exitCode !== null || child.signalCode !== null;

function start(name, cwd, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: `${root}/${cwd}`,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let up = false;
  const listening = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`[${name}] ${line}\n`);
      try {
        const parsed = JSON.parse(line);
        if (parsed.msg === 'listening') {
          up = true;
          resolve(parsed.url);
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', () => {
      if (!up) return reject(new Error(`${name} exited with ${endOf(child)}`));
      // Gone on its own once up (signalled alone, say): the other is stopped too, not left behind.
      if (stopping) return;
      const clean = child.exitCode === 0;
      process.stderr.write(`${name} exited with ${endOf(child)}; stopping\n`);
      if (!clean) process.exitCode = 1;
      stop('SIGTERM');
    });
  });
  return { child, listening };
}

// An agent of one's own, named in the environment, wins over the mock agent, which is then not
// started (its port may well be that agent's); the banner says so.
const ownAgent = process.env.GATEWAY__AGENT_URL || undefined;
const agent = ownAgent === undefined ? start('mock-agent', 'apps/mock-agent', ['--import', 'tsx', 'src/main.node.ts'], { MOCK_AGENT__PORT: agentPort }) : undefined;
let gateway;
const children = () => [agent?.child, gateway?.child].filter(Boolean);
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  for (const child of children()) if (!hasExited(child)) child.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  const agentUrl = ownAgent ?? (await agent.listening);
  // The gateway as production runs it: built to plain JavaScript (its `start` script does the same).
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: `${root}/apps/gateway`, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`the gateway's build failed (${built.error?.message ?? (built.signal ? `killed by ${built.signal}` : `exit ${built.status}`)})`);
  // Stopped meanwhile (Ctrl-C, or the mock agent gone): the gateway is not started.
  if (stopping) throw new Error('stopped before the gateway started');
  gateway = start('gateway', 'apps/gateway', ['--enable-source-maps', 'dist/main.node.mjs'], { GATEWAY__PORT: gatewayPort, GATEWAY__AGENT_URL: agentUrl });
  const gatewayUrl = await gateway.listening;
  const ws = gatewayUrl.replace(/^http/, 'ws').replace('0.0.0.0', 'localhost');
  // The demo's default is ws://localhost:8000: name the gateway when it listens elsewhere.
  const demo = ws === 'ws://localhost:8000' ? `${pnpm} demo` : `GATEWAY_URL=${ws} ${pnpm} demo`;
  process.stdout.write(
    `\nAgent Gateway is up: connect an IDE to ${ws}/ws/<session_id> (${
      ownAgent === undefined ? `mock agent at ${agentUrl}` : `agent at ${ownAgent}, from GATEWAY__AGENT_URL: the mock agent is not started`
    }).\n` +
      `Try it from another terminal: ${demo}\nCtrl-C stops ${ownAgent === undefined ? 'both' : 'it'}.\n\n`,
  );
} catch (error) {
  if (!stopping) {
    process.stderr.write(`start failed: ${error.message}\n`);
    stop('SIGTERM');
    process.exitCode = 1;
  }
}

await Promise.all(children().map((child) => new Promise((resolve) => (hasExited(child) ? resolve() : child.once('exit', resolve)))));
// Stopped by the signal `start` passed on: a child's death by it is not a failure; an exit code is.
const failed = children().some((child) => child.exitCode !== null && child.exitCode !== 0);
process.exit(process.exitCode ?? (failed ? 1 : 0));
