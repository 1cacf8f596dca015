import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Every child this run started: stopped on exit, whatever happens. */
const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export interface Spawned {
  name: string;
  pid: number;
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first stdout line that is JSON and matches. */
  waitForLine<T = Record<string, unknown>>(predicate: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<T>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Raises the soft open-files limit first (as far as the hard limit allows). */
  nofile?: number;
  stdin?: boolean;
}

const KEEP_LINES = 200;

/**
 * Starts a process. With `nofile`, through `bash -c 'ulimit -n …; exec …'`:
 * `exec` keeps the pid, so /proc figures are the program's own.
 */
export function spawnProcess(opts: SpawnOptions): Spawned {
  const [command, args] = opts.nofile
    ? ['bash', ['-c', `ulimit -n ${opts.nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, opts.command, ...opts.args]]
    : [opts.command, opts.args];
  const child = spawn(command, args as string[], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<{ predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>();
  const exited = once(child, 'exit').then(([code]) => {
    children.delete(child);
    return code as number | null;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    if (stdout.length > KEEP_LINES) stdout.shift();
    if (!line.startsWith('{')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(parsed);
    if (lines.length > KEEP_LINES) lines.shift();
    for (const waiter of waiters) {
      if (waiter.predicate(parsed)) {
        waiters.delete(waiter);
        waiter.resolve(parsed);
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > KEEP_LINES) stderr.shift();
  });
  const tail = () => `\n--- ${opts.name} stdout ---\n${stdout.slice(-20).join('\n')}\n--- stderr ---\n${stderr.slice(-20).join('\n')}`;

  return {
    name: opts.name,
    pid: child.pid!,
    child,
    stdout,
    stderr,
    exited,
    waitForLine<T>(predicate: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<T> {
      const found = lines.find(predicate);
      if (found) {
        lines.splice(lines.indexOf(found), 1);
        return Promise.resolve(found as T);
      }
      return new Promise<T>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (l: Record<string, unknown>) => {
            clearTimeout(timer);
            lines.splice(lines.indexOf(l), 1);
            resolve(l as T);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${opts.name}: no expected line within ${timeoutMs} ms${tail()}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((code) => {
          if (waiters.delete(waiter)) {
            clearTimeout(timer);
            reject(new Error(`${opts.name} exited with ${code}${tail()}`));
          }
        });
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A port free on loopback right now (for a server that does not announce its own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, for at most `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, proc?: Spawned): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  for (let attempt = 0; performance.now() < deadline && attempt < 1000; attempt++) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = proc ? `\nstdout:\n${proc.stdout.slice(-20).join('\n')}\nstderr:\n${proc.stderr.slice(-20).join('\n')}` : '';
  throw new Error(`${url} not ready within ${timeoutMs} ms (${last})${tail}`);
}
