import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInspectorProfile } from './inspector.ts';
import type { Runtime } from './options.ts';
import { freePort, spawnProcess, waitForHttp, type Spawned } from './processes.ts';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));
export const repoDir = join(benchDir, '..');
export const gatewayDir = join(repoDir, 'apps', 'gateway');
const mockAgentDir = join(repoDir, 'apps', 'mock-agent');
export const profileDir = join(benchDir, 'results', 'profiles');

/** Open files each server and client may hold: 10,000 sockets and some slack. */
export const NOFILE = 65_536;
const START_TIMEOUT_MS = 30_000;

/** The deno binary the `deno` npm package ships (not the .bin shim, which would not keep the pid). */
export function denoBinary(): string | undefined {
  for (const dir of [benchDir, gatewayDir]) {
    const bin = join(dir, 'node_modules', 'deno', process.platform === 'win32' ? 'deno.exe' : 'deno');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

export interface Server {
  proc: Spawned;
  /** `http://127.0.0.1:port` */
  url: string;
  /** Its V8 inspector, `http://127.0.0.1:port`, when started with `inspect`. */
  inspectUrl?: string;
  stop(): Promise<void>;
}

const withUrl = (proc: Spawned, url: string, graceMs = 15_000, beforeStop?: () => Promise<void>, inspectPort?: number): Server => ({
  proc,
  url,
  ...(inspectPort === undefined ? {} : { inspectUrl: `http://127.0.0.1:${inspectPort}` }),
  stop: async () => {
    await beforeStop?.().catch((error: unknown) => process.stderr.write(`profile: ${String(error)}\n`));
    await proc.stop(graceMs);
  },
});

/** A loopback port for a V8 inspector, and the flag that opens it (the same for Node and Deno), when `wanted`. */
async function inspector(wanted: boolean): Promise<{ inspectPort: number | undefined; inspectArgs: string[] }> {
  if (!wanted) return { inspectPort: undefined, inspectArgs: [] };
  const inspectPort = await freePort();
  return { inspectPort, inspectArgs: [`--inspect=127.0.0.1:${inspectPort}`] };
}

const isListening = (l: Record<string, unknown>) => l.msg === 'listening' && typeof l.url === 'string';

/** The agent both DIRECT and the gateways talk to. */
export async function startAgent(kind: 'stub' | 'mock'): Promise<Server> {
  const proc =
    kind === 'stub'
      ? spawnProcess({ name: 'agent', command: process.execPath, args: ['--import', 'tsx', 'src/stub-agent.ts'], cwd: benchDir, nofile: NOFILE })
      : spawnProcess({
          name: 'agent',
          command: process.execPath,
          args: ['--import', 'tsx', 'src/main.node.ts'],
          cwd: mockAgentDir,
          env: { MOCK_AGENT__HOST: '127.0.0.1', MOCK_AGENT__PORT: '0', MOCK_AGENT__TOKEN_DELAY_MS: '0' },
          nofile: NOFILE,
        });
  const line = await proc.waitForLine<{ url: string }>(isListening, START_TIMEOUT_MS);
  return withUrl(proc, line.url);
}

/** The Deno gateway's command, read from apps/gateway's `start:deno` script; undefined while there is none. */
export function denoGatewayArgs(): string[] | undefined {
  const pkg = JSON.parse(readFileSync(join(gatewayDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.['start:deno'];
  if (script === undefined) return undefined;
  const words = splitWords(script);
  if (words[0] === 'exec') words.shift();
  // `deno run …` or `<path>/deno run …`: the binary is ours (denoBinary), the arguments theirs.
  if (!/(^|\/)deno$/.test(words[0] ?? '') || words[1] !== 'run') throw new Error(`apps/gateway start:deno is not "deno run …": ${script}`);
  return words.slice(1);
}

/**
 * The Node gateway's command as its `start` script runs it (`… && exec node <args>`),
 * built first, once per bench run, with the script's own build step: production
 * runs plain JavaScript, not the TypeScript sources through a loader.
 */
function nodeGatewayArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(gatewayDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.start ?? '';
  const words = splitWords(script.replace(/^.*\bexec\s+/, ''));
  if (words[0] !== 'node') throw new Error(`apps/gateway start does not end with "exec node …": ${script}`);
  if (!gatewayBuilt) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: gatewayDir, stdio: 'inherit' });
    gatewayBuilt = true;
  }
  return words.slice(1);
}
let gatewayBuilt = false;

/**
 * One of the bench's own Node servers bundled to plain JavaScript (bench/dist/),
 * once per bench run, so that BARE and FLOOR run as the gateway does: no
 * TypeScript loader thread in the process, whose start-up memory would be
 * counted or reused by the idle workload depending on the run.
 */
function builtScript(script: string): string {
  const out = join('dist', `${script.replaceAll('/', '-')}.mjs`);
  if (!builtScripts.has(out)) {
    const esbuild = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
    execFileSync(esbuild, [`${script}.node.ts`, '--bundle', '--platform=node', '--format=esm', '--target=node20.19', '--packages=external', `--outfile=${out}`, '--log-level=warning'], { cwd: benchDir, stdio: 'inherit' });
    builtScripts.add(out);
  }
  return out;
}
const builtScripts = new Set<string>();

/** Shell-like word split for a package script (quotes, no expansions). */
function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

export interface GatewayStart {
  agentUrl: string;
  /** Writes a CPU profile of the gateway under bench/results/profiles/<name>/. */
  cpuProfName?: string;
  /** Opens its V8 inspector on loopback (`Server.inspectUrl`): the idle workload collects garbage through it. */
  inspect?: boolean;
}

/**
 * Starts the gateway on `runtime` with the bench's settings, on a port the
 * system picks (its `listening` line, written at any log level, says which).
 * Log level `warning`: one info line per connection and per turn would be
 * the gateway's own biggest cost here.
 */
export async function startGateway(runtime: Runtime, opts: GatewayStart): Promise<Server> {
  const env = {
    GATEWAY__HOST: '127.0.0.1',
    GATEWAY__PORT: '0',
    GATEWAY__AGENT_URL: opts.agentUrl,
    GATEWAY__LOG_LEVEL: 'warning',
  };
  let proc: Spawned;
  // Deno has no --cpu-prof: its V8 inspector's Profiler does the same.
  const { inspectPort, inspectArgs } = await inspector(Boolean(opts.inspect) || (runtime === 'deno' && opts.cpuProfName !== undefined));
  if (runtime === 'node') {
    const prof: string[] = [];
    if (opts.cpuProfName !== undefined) {
      // A folder per run: Node names the profile file itself.
      const dir = join(profileDir, opts.cpuProfName);
      mkdirSync(dir, { recursive: true });
      prof.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    }
    proc = spawnProcess({
      name: 'gateway-node',
      command: process.execPath,
      // BENCH_GATEWAY_NODE_ENTRY: another build of the gateway (plain JS) instead of the one `start` runs.
      args: [...inspectArgs, ...prof, ...(process.env.BENCH_GATEWAY_NODE_ENTRY ? [process.env.BENCH_GATEWAY_NODE_ENTRY] : nodeGatewayArgs())],
      cwd: gatewayDir,
      env,
      nofile: NOFILE,
    });
  } else {
    const deno = denoBinary();
    const args = denoGatewayArgs();
    if (deno === undefined || args === undefined) throw new Error('no Deno gateway: apps/gateway has no start:deno script or no deno binary');
    args.splice(1, 0, ...inspectArgs);
    proc = spawnProcess({ name: 'gateway-deno', command: deno, args, cwd: gatewayDir, env: { ...env, NO_COLOR: '1' }, nofile: NOFILE });
  }
  const { url } = await proc.waitForLine<{ url: string }>(isListening, START_TIMEOUT_MS);
  await waitForHttp(`${url}/health`, START_TIMEOUT_MS, proc);
  if (runtime === 'deno' && inspectPort !== undefined && opts.cpuProfName !== undefined) {
    const dir = join(profileDir, opts.cpuProfName);
    mkdirSync(dir, { recursive: true });
    const profile = await startInspectorProfile(`http://127.0.0.1:${inspectPort}`);
    return withUrl(proc, url, 15_000, () => profile.stop(join(dir, 'deno.cpuprofile')), inspectPort);
  }
  return withUrl(proc, url, 15_000, undefined, inspectPort);
}

/**
 * The relay FLOOR of `runtime` (`--floor`): bench/src/diagnostics/relay-floor.*,
 * the smallest relay the runtime can do with the gateway's transport and no
 * gateway code, on a port the system picks.
 */
export function startFloor(runtime: Runtime, agentUrl: string): Promise<Server> {
  return startScript(runtime, `floor-${runtime}`, 'src/diagnostics/relay-floor', { env: { AGENT: agentUrl }, denoAllowEnv: 'AGENT,RELAY_PORT', health: true });
}

/** The BARE WebSocket server of `runtime`: the floor per idle socket (with its inspector open, given `inspect`). */
export function startBare(runtime: Runtime, opts: { inspect?: boolean } = {}): Promise<Server> {
  return startScript(runtime, `bare-${runtime}`, 'src/bare-ws', { inspect: opts.inspect });
}

/**
 * One of the bench's own servers, `<script>.node.ts` (bundled: `builtScript`) or
 * `<script>.deno.ts` (loopback network only), once it has written its
 * `listening` line (and answers `/health`, with `health`).
 */
async function startScript(
  runtime: Runtime,
  name: string,
  script: string,
  opts: { env?: Record<string, string>; denoAllowEnv?: string; health?: boolean; inspect?: boolean },
): Promise<Server> {
  let proc: Spawned;
  const { inspectPort, inspectArgs } = await inspector(Boolean(opts.inspect));
  if (runtime === 'node') {
    proc = spawnProcess({ name, command: process.execPath, args: [...inspectArgs, builtScript(script)], cwd: benchDir, env: opts.env, nofile: NOFILE });
  } else {
    const deno = denoBinary();
    if (deno === undefined) throw new Error('no deno binary (the deno devDependency of bench)');
    const allowEnv = opts.denoAllowEnv === undefined ? [] : [`--allow-env=${opts.denoAllowEnv}`];
    proc = spawnProcess({
      name,
      command: deno,
      args: ['run', ...inspectArgs, '--no-prompt', '--allow-net=127.0.0.1', ...allowEnv, `${script}.deno.ts`],
      cwd: benchDir,
      env: { ...opts.env, NO_COLOR: '1' },
      nofile: NOFILE,
    });
  }
  const { url } = await proc.waitForLine<{ url: string }>(isListening, START_TIMEOUT_MS);
  if (opts.health) await waitForHttp(`${url}/health`, START_TIMEOUT_MS, proc);
  return withUrl(proc, url, 5000, undefined, inspectPort);
}
