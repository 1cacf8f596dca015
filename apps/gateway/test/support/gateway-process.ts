import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll } from 'vitest';

export type Runtime = 'node' | 'deno';

const appDir = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayProcess {
  url: string;
  wsUrl(sessionId: string, query?: string): string;
  /** Every stdout line so far, parsed when JSON. */
  logs: Record<string, unknown>[];
  stdout: string[];
  stderr: string[];
  child: ChildProcess;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves on the first log line matching. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function gatewayCommand(runtime: Runtime): { command: string; args: string[] } {
  if (runtime === 'deno') {
    // The package's own `start:deno` line, so the tests run with exactly the permissions the
    // README documents; the binary itself, not npm's launcher, so signals and the pid are Deno's.
    const [deno, ...args] = startScript('start:deno');
    if (!/(^|\/)deno$/.test(deno ?? '')) throw new Error(`start:deno should run deno, not ${JSON.stringify(deno)}`);
    return { command: denoBinary(), args };
  }
  // What `start` runs once it has built dist/ (the tests' global setup builds it once: build-gateway.ts).
  const [node, ...args] = startScript('start');
  if (node !== 'node') throw new Error(`start should run node, not ${JSON.stringify(node)}`);
  return { command: process.execPath, args };
}

/** The command a script of the gateway's package.json runs (after `exec`), split into words (they hold no quotes). */
export function startScript(name: string): string[] {
  const pkg = JSON.parse(readFileSync(`${appDir}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts[name];
  if (script === undefined) throw new Error(`no ${name} script in package.json`);
  return script.replace(/^.*\bexec\s+/, '').trim().split(/\s+/);
}

/** The deno executable the `deno` devDependency installed (its postinstall puts it beside package.json). */
export function denoBinary(): string {
  const require = createRequire(`${appDir}/package.json`);
  const beside = join(dirname(require.resolve('deno/package.json')), process.platform === 'win32' ? 'deno.exe' : 'deno');
  if (existsSync(beside)) return beside;
  return (require('deno/install_api.cjs') as { runInstall(): string }).runInstall();
}

/**
 * Gateways still running when a test file ends: a test that timed out never
 * reaches its `finally`, and its gateway must not outlive the run.
 */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the gateway as a real process on port 0 and waits for its `listening` line. */
export async function startGateway(runtime: Runtime, env: Record<string, string>): Promise<GatewayProcess> {
  const { command, args } = gatewayCommand(runtime);
  const child = spawn(command, args, {
    cwd: appDir,
    env: { ...baseEnv(), GATEWAY__HOST: '127.0.0.1', GATEWAY__PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const logs: Record<string, unknown>[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(parsed);
    for (const waiter of waiters) {
      if (waiter.predicate(parsed)) {
        waiters.delete(waiter);
        waiter.resolve(parsed);
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const waitForLog = (predicate: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const waiter = { predicate, resolve: (l: Record<string, unknown>) => (clearTimeout(timer), resolve(l)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then(() => {
        if (waiters.delete(waiter)) {
          clearTimeout(timer);
          reject(new Error(`gateway exited; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
        }
      });
    });
  };

  let listening: Record<string, unknown>;
  try {
    listening = await waitForLog((l) => l.msg === 'listening', 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const url = String(listening.url);
  return {
    url,
    wsUrl: (sessionId, query) => `${url.replace(/^http/, 'ws')}/ws/${sessionId}${query ? `?${query}` : ''}`,
    logs,
    stdout,
    stderr,
    child,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs the gateway expecting it to refuse to start; resolves with its exit code and output. */
export async function runGatewayExpectingFailure(runtime: Runtime, env: Record<string, string>, opts: { printfEnv?: Record<string, string> } = {}) {
  let { command, args } = gatewayCommand(runtime);
  if (opts.printfEnv !== undefined) {
    // Values as bytes (printf escapes: `\377`), which Node's own env would encode as UTF-8.
    const assignments = Object.entries(opts.printfEnv).map(([name, format]) => `${name}="$(printf '${format}')"`);
    args = ['-c', `${assignments.join(' ')} exec "$0" "$@"`, command, ...args];
    command = '/bin/sh';
  }
  const child = spawn(command, args, {
    cwd: appDir,
    env: { ...baseEnv(), GATEWAY__HOST: '127.0.0.1', GATEWAY__PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GATEWAY__')) env[key] = value;
  }
  return env;
}
