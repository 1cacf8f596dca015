/**
 * `pnpm bench`: DIRECT (a client of the agent itself), the gateway on Node
 * and on Deno, and BARE WebSocket servers, side by side in one run against
 * one agent process. Agent, gateway and load client are separate processes;
 * each workload is bounded in count and time; only loopback is used.
 * See docs/performance.md for how to read the output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { turnsWarmup, type ClientMessage, type IdleOpened, type Job, type LatencyResult, type StreamResult, type TurnsResult } from './jobs.ts';
import { collectGarbage } from './inspector.ts';
import { describeMachine } from './machine.ts';
import type { Column, IdleMeasured, LatencyMeasured, Results, StreamMeasured, TurnsMeasured } from './measured.ts';
import { medianRounds, type Measured } from './rounds.ts';
import { parseOptions, type BenchOptions, type Runtime } from './options.ts';
import { rssBytes, Sampler, waitForQuiet, type WindowStats } from './proc-stats.ts';
import { killAllChildren, spawnProcess } from './processes.ts';
import { buildRows, renderSaturation, renderTables } from './report.ts';
import { saturation } from './saturation.ts';
import { benchDir, denoBinary, denoGatewayArgs, NOFILE, profileDir, repoDir, startAgent, startBare, startFloor, startGateway, type Server } from './servers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** After a forced collection, before RSS is read: V8 returns freed pages from background tasks. */
const COLLECTED_SETTLE_MS = 500;
const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  log((error as Error).message);
  process.exit(2);
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`bench: ${signal}, stopping every process it started`);
    killAllChildren();
    process.exit(130);
  });
}
// The whole run is bounded too.
const RUN_LIMIT_MS = options.quick ? 3 * 60_000 : 30 * 60_000;
setTimeout(() => {
  log(`bench: still running after ${RUN_LIMIT_MS / 60_000} min: stopping`);
  killAllChildren();
  process.exit(4);
}, RUN_LIMIT_MS).unref();

const notes: string[] = [];
const machine = describeMachine(NOFILE);
if (machine.nofile_soft_in_children < options.idle.sockets + 256) {
  const sockets = Math.max(100, machine.nofile_soft_in_children - 256);
  notes.push(`open-files limit ${machine.nofile_soft_in_children}: idle workload reduced from ${options.idle.sockets} to ${sockets} sockets`);
  options.idle.sockets = sockets;
}

// Deno runs when the gateway has a Deno entrypoint (the start:deno script) and the deno binary is installed.
const gatewayRuntimes: Runtime[] = [];
const bareRuntimes: Runtime[] = [];
for (const rt of options.runtimes) {
  if (rt === 'node') {
    gatewayRuntimes.push(rt);
    bareRuntimes.push(rt);
    continue;
  }
  if (denoBinary() === undefined) {
    notes.push('deno: no deno binary (pnpm install installs the deno devDependency): Deno skipped');
    continue;
  }
  bareRuntimes.push(rt);
  let args: string[] | undefined;
  try {
    args = denoGatewayArgs();
  } catch (error) {
    notes.push(`deno: ${(error as Error).message}: the Deno gateway was skipped`);
    continue;
  }
  if (args === undefined) notes.push('deno: apps/gateway has no start:deno script yet: the Deno gateway was skipped (BARE Deno still measured)');
  else gatewayRuntimes.push(rt);
}
for (const note of notes) log(`note: ${note}`);

interface ClientRun {
  result: Extract<ClientMessage, { event: 'result' }>['result'];
  window: WindowStats;
  /** The machine was not quiet before the window opened (a note says so too). */
  busyBefore: boolean;
  /** RSS and JS heap after a full collection before the sockets open; while held, RSS as read and both after a full collection. */
  idle?: { opened: IdleOpened; before: Collected; rssHeld: number; held: Collected };
}

const medianRss = async (pid: number, samples: number, everyMs: number): Promise<number> => {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssBytes(pid) ?? 0);
    if (i < samples - 1) await sleep(everyMs);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
};

/** The idle workload's server: memory read before the sockets open and while they are held. */
interface IdleServer {
  pid: number;
  inspectUrl: string;
  holdMs: number;
  settleMs: number;
}

/** RSS and JS heap after a full garbage collection: what the process keeps, without garbage V8 has not collected yet. */
interface Collected {
  rss: number;
  heap: number;
}

async function collected(server: IdleServer): Promise<Collected> {
  const { heapUsed } = await collectGarbage(server.inspectUrl);
  await sleep(COLLECTED_SETTLE_MS);
  return { rss: await medianRss(server.pid, 5, 100), heap: heapUsed };
}

/** Runs one load-client process: prepare → ready → go (measured window) → result. */
async function runClient(job: Job, pids: Record<string, number>, server?: IdleServer): Promise<ClientRun> {
  const client = spawnProcess({
    name: `client ${job.label}`,
    command: process.execPath,
    args: ['--import', 'tsx', 'src/load-client.ts', JSON.stringify(job)],
    cwd: benchDir,
    stdin: true,
    nofile: NOFILE,
  });
  const isEvent = (...events: string[]) => (l: Record<string, unknown>) => events.includes(String(l.event));
  const expect = async <T extends ClientMessage>(events: string[], timeoutMs: number): Promise<T> => {
    const line = await client.waitForLine<ClientMessage>(isEvent(...events, 'fatal'), timeoutMs);
    if (line.event === 'fatal') throw new Error(`${job.label}: client failed: ${line.message}\n${client.stderr.slice(-10).join('\n')}`);
    return line as T;
  };
  try {
    await expect(['ready'], job.timeoutMs);
    let before: Collected = { rss: 0, heap: 0 };
    if (server) {
      await sleep(server.settleMs);
      // Collected first, BARE and gateway alike: start-up garbage is not counted against the sockets.
      before = await collected(server);
    }
    const quiet = await waitForQuiet(options.quick ? 500 : 30_000);
    if (!quiet.quiet) notes.push(`${job.label}: the machine was still busy (${quiet.busy_cores} cores) before the measured window`);
    const sampler = new Sampler({ ...pids, client: client.pid });
    sampler.start();
    client.child.stdin!.write('go\n');
    let idle: ClientRun['idle'];
    if (server) {
      const { opened } = await expect<Extract<ClientMessage, { event: 'opened' }>>(['opened'], job.timeoutMs);
      await sleep(server.holdMs);
      const rssHeld = await medianRss(server.pid, 5, 200);
      const held = await collected(server);
      client.child.stdin!.write('release\n');
      idle = { opened, before, rssHeld, held };
    }
    // The window ends with the measured pass; the result comes after the client's grace (jobs.ts, `graceMs`).
    const end = await expect<Extract<ClientMessage, { event: 'measured' | 'result' }>>(['measured', 'result'], job.timeoutMs);
    const window = sampler.stop();
    const { result } = end.event === 'result' ? end : await expect<Extract<ClientMessage, { event: 'result' }>>(['result'], job.graceMs + 30_000);
    return { result, window, busyBefore: !quiet.quiet, ...(idle ? { idle } : {}) };
  } finally {
    client.child.stdin!.end();
    await client.stop(20_000);
  }
}

const agentConnections = async (agent: Server): Promise<number> => {
  const res = await fetch(`${agent.url}/_mock/connections`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { total: number }).total;
};
const resetAgent = async (agent: Server): Promise<void> => {
  const res = await fetch(`${agent.url}/_mock/reset`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  await res.body?.cancel();
};

/**
 * What saturated over the window (latency and idle are paced; stream and
 * turns run as fast as they can), and whether its figures are suspect: load
 * from outside the bench in the window, or a machine still busy before it.
 */
function describeWindow(run: ClientRun, paced: boolean) {
  const s = saturation(run.window, paced);
  return { saturated: s.verdict, saturation_detail: s.detail, suspect: s.suspect || run.busyBefore };
}

const failuresOf = (r: { failures: number; failure_samples: string[] }) => ({ failures: r.failures, failure_samples: r.failure_samples });

/** What every measured column carries: its result, its window, what saturated, its wrong answers. */
const measuredBase = <R extends { kind: string; failures: number; failure_samples: string[] }>(column: Column, run: ClientRun, result: R) => ({
  column,
  result,
  window: run.window,
  ...describeWindow(run, result.kind === 'latency'),
  ...failuresOf(result),
});

/** A server that died during its measured window is a failure of that window, with its last words. */
function deathOf(server: Server | undefined): string | undefined {
  const child = server?.proc.child;
  if (child === undefined || (child.exitCode === null && child.signalCode === null)) return undefined;
  const tail = [...server!.proc.stderr.slice(-5), ...server!.proc.stdout.slice(-3)].join(' | ');
  return `${server!.proc.name} exited (${child.exitCode ?? child.signalCode}) during the run: ${tail}`;
}

function withDeath<T extends { failures: number; failure_samples: string[] }>(measured: T, server: Server | undefined): T {
  const death = deathOf(server);
  if (death !== undefined) {
    measured.failures++;
    measured.failure_samples.unshift(death);
  }
  return measured;
}

/** One measured workload for one column: DIRECT against the agent, or a fresh gateway in front of it. */
async function measure(
  workload: 'stream' | 'latency' | 'turns',
  column: 'direct' | Runtime | `floor-${Runtime}`,
  agent: Server,
): Promise<StreamMeasured | LatencyMeasured | TurnsMeasured> {
  // `gateway`: the process between the client and the agent (the gateway, or a relay floor).
  let gateway: Server | undefined;
  const label = `${workload}-${column}`;
  try {
    if (column === 'node' || column === 'deno') {
      gateway = await startGateway(column, {
        agentUrl: agent.url,
        ...(options.cpuProf ? { cpuProfName: `${label}-${Date.now()}` } : {}),
      });
    } else if (column !== 'direct') {
      gateway = await startFloor(column === 'floor-node' ? 'node' : 'deno', agent.url);
    }
    const url = gateway ? gateway.url.replace(/^http/, 'ws') : agent.url;
    const base = { url, target: gateway ? ('ws' as const) : ('direct' as const), warmup: true, graceMs: options.graceMs, label };
    const relay = column.startsWith('floor-') ? 'floor' : 'gateway';
    const pids: Record<string, number> = { agent: agent.proc.pid, ...(gateway ? { [relay]: gateway.proc.pid } : {}) };
    await resetAgent(agent);

    if (workload === 'stream') {
      const o = options.stream;
      const run = await runClient({ ...base, kind: 'stream', timeoutMs: 120_000, sessions: o.sessions, tokens: o.tokens, size: o.size, rounds: o.rounds }, pids);
      const r = run.result as StreamResult;
      // Rates over the median round: one round slowed by something else on the machine does not move them.
      const sorted = [...r.round_ms].sort((a, b) => a - b);
      const seconds = (sorted[Math.floor(sorted.length / 2)]! * r.rounds) / 1000;
      const gw = run.window.processes.gateway;
      return withDeath({
        ...measuredBase(column, run, r),
        chars_per_s: round(r.chars / seconds, 0),
        frames_per_s: round(r.frames / seconds, 0),
        tokens_per_frame: r.token_frames > 0 ? round(r.tokens / r.token_frames) : 0,
        ...(gw ? { gateway_cpu_s_per_mtok: round(gw.cpu_s / (r.tokens / 1e6), 3), gateway_peak_rss_mb: round(gw.peak_rss_mb, 1) } : {}),
      }, gateway);
    }
    if (workload === 'latency') {
      const o = options.latency;
      const run = await runClient(
        { ...base, kind: 'latency', timeoutMs: o.durationMs * 2 + 60_000, sessions: o.sessions, intervalMs: o.intervalMs, durationMs: o.durationMs, stamped: options.agent === 'stub' },
        pids,
      );
      const r = run.result as LatencyResult;
      return withDeath(measuredBase(column, run, r), gateway);
    }
    const o = options.turns;
    const run = await runClient({ ...base, kind: 'turns', timeoutMs: 180_000, sessions: o.sessions, turns: o.turns, tokens: o.tokens, size: o.size }, pids);
    const r = run.result as TurnsResult;
    const warm = turnsWarmup(o.sessions, o.turns);
    const warmTurns = warm.sessions * warm.turns;
    return withDeath({
      ...measuredBase(column, run, r),
      turns_per_s: round(r.turns / (r.duration_ms / 1000), 1),
      agent_connections: await agentConnections(agent),
      turns_sent: warmTurns + o.sessions * o.turns,
    }, gateway);
  } finally {
    await gateway?.stop();
  }
}

/**
 * Idle: a fresh server (BARE or gateway), `sockets` WebSockets opened and
 * held. RSS before (after a full collection) and while held: as read, and
 * after a full collection. Collections go through the server's inspector,
 * BARE and gateway alike.
 */
async function measureIdle(column: Column, agent: Server): Promise<IdleMeasured> {
  const runtime = (column.startsWith('bare-') ? column.slice(5) : column) as Runtime;
  const isGateway = !column.startsWith('bare-');
  const server = isGateway ? await startGateway(runtime, { agentUrl: agent.url, inspect: true }) : await startBare(runtime, { inspect: true });
  try {
    const o = options.idle;
    const job: Job = {
      kind: 'idle',
      target: 'ws',
      url: server.url.replace(/^http/, 'ws'),
      label: `idle-${column}`,
      warmup: false,
      graceMs: 0,
      timeoutMs: 180_000,
      sockets: o.sockets,
      concurrency: o.concurrency,
      gateway: isGateway,
    };
    const run = await runClient(job, { server: server.proc.pid }, { pid: server.proc.pid, inspectUrl: server.inspectUrl!, holdMs: o.holdMs, settleMs: o.settleMs });
    const r = run.result as Extract<ClientRun['result'], { kind: 'idle' }>;
    const idle = run.idle!;
    const opened = Math.max(1, idle.opened.opened);
    return withDeath({
      column,
      window: run.window,
      ...describeWindow(run, true),
      ...failuresOf(r),
      opened: idle.opened,
      still_open: r.still_open,
      rss_before_mb: round(idle.before.rss / 2 ** 20, 1),
      rss_held_mb: round(idle.rssHeld / 2 ** 20, 1),
      rss_held_collected_mb: round(idle.held.rss / 2 ** 20, 1),
      rss_per_socket_kib: round((idle.rssHeld - idle.before.rss) / opened / 1024, 2),
      rss_per_socket_collected_kib: round((idle.held.rss - idle.before.rss) / opened / 1024, 2),
      heap_per_socket_collected_kib: round((idle.held.heap - idle.before.heap) / opened / 1024, 2),
    }, server);
  } finally {
    await server.stop();
  }
}

function progress(workload: string, column: string, m: object, round: number): void {
  const x = m as Partial<StreamMeasured & LatencyMeasured & TurnsMeasured & IdleMeasured>;
  const bits: string[] = [];
  if (x.chars_per_s !== undefined) bits.push(`${Math.round(x.chars_per_s).toLocaleString('en-US')} chars/s`, `${x.tokens_per_frame} tokens/frame`);
  if (x.gateway_cpu_s_per_mtok !== undefined) bits.push(`gateway ${x.gateway_cpu_s_per_mtok} CPU-s/Mtok`);
  if (workload === 'latency' && x.result) bits.push(`p50 ${(x.result as LatencyResult).p50_ms} ms`, `p99 ${(x.result as LatencyResult).p99_ms} ms`);
  if (x.turns_per_s !== undefined) bits.push(`${x.turns_per_s} turns/s`, `${x.agent_connections} agent connections`);
  if (x.rss_per_socket_kib !== undefined) bits.push(`${x.still_open} held`, `${x.rss_per_socket_collected_kib} KiB/socket after GC (${x.rss_per_socket_kib} as read)`, `opened in ${x.opened!.open_ms} ms`);
  bits.push(`saturated: ${x.saturated}`);
  if (x.failures) bits.push(`${x.failures} WRONG: ${x.failure_samples?.join(' | ')}`);
  const tag = options.repeat > 1 ? ` ${round}/${options.repeat}` : '';
  log(`  ${((performance.now() / 1000).toFixed(0) + 's').padStart(4)} ${(workload + tag).padEnd(11)} ${column.padEnd(9)} ${bits.join(', ')}`);
}

async function main(): Promise<number> {
  const startedAt = new Date();
  log(`bench: ${options.quick ? 'quick' : 'full'} run, ${options.repeat} round${options.repeat > 1 ? 's' : ''} (median reported); gateway runtimes: ${gatewayRuntimes.join(', ') || 'none'}; agent: ${options.agent}`);
  log(`machine: ${machine.cores} cores ${machine.cpu_model}, ${machine.memory_gib} GiB, node ${machine.node}, ${machine.deno ?? 'no deno'}`);
  const results: Results = {};
  const rounds: Record<string, Record<string, Measured[]>> = {};
  const agent = await startAgent(options.agent);
  try {
    // Rounds with the columns taking turns, so a change in the machine's load
    // falls on every column alike; each column reports its median round.
    for (const workload of ['stream', 'latency', 'turns'] as const) {
      if (!options.workloads.includes(workload)) continue;
      const measured: Record<string, Measured[]> = {};
      for (let round = 1; round <= options.repeat; round++) {
        // --floor: each runtime's relay floor just before its gateway (not for stream: the floor does not coalesce tokens).
        const floors = options.floor && workload !== 'stream';
        for (const column of ['direct', ...gatewayRuntimes.flatMap((rt) => (floors ? [`floor-${rt}` as const, rt] : [rt]))] as const) {
          const m = await measure(workload, column, agent);
          (measured[column] ??= []).push(m);
          progress(workload, column, m, round);
        }
      }
      (results as Record<string, unknown>)[workload] = medianRounds(measured, workload);
      rounds[workload] = measured;
    }
    if (options.workloads.includes('idle')) {
      const measured: Record<string, Measured[]> = {};
      for (let round = 1; round <= options.repeat; round++) {
        for (const rt of bareRuntimes) {
          for (const column of [`bare-${rt}`, ...(gatewayRuntimes.includes(rt) ? [rt] : [])] as Column[]) {
            const m = await measureIdle(column, agent);
            (measured[column] ??= []).push(m);
            progress('idle', column, m, round);
          }
        }
      }
      results.idle = medianRounds(measured, 'idle') as Results['idle'];
      rounds.idle = measured;
    }
  } finally {
    await agent.stop();
  }

  // The idle target asks for 10,000 sockets held; a quick run opens fewer on purpose.
  const rows = buildRows(results, gatewayRuntimes, bareRuntimes, options.quick ? 0 : 10_000);
  const tables = renderTables(rows, gatewayRuntimes, bareRuntimes);
  const sat = renderSaturation(results);
  const passed: Partial<Record<Runtime, boolean>> = {};
  for (const rt of gatewayRuntimes) passed[rt] = rows.every((r) => r.pass[rt] !== false);
  const wrong = Object.values(results).some((cols) => Object.values(cols as Record<string, { failures: number }>).some((m) => m.failures > 0));

  const out = options.out ?? join(benchDir, 'results', `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        version: 1,
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
        mode: options.quick ? 'quick' : 'full',
        repeat: options.repeat,
        options,
        machine,
        gateway_runtimes: gatewayRuntimes,
        notes,
        targets_met: passed,
        /** Verdicts per runtime that rest on a window with outside load (`pass?`/`FAIL?` in the table). */
        suspect_verdicts: Object.fromEntries(gatewayRuntimes.map((rt) => [rt, rows.filter((r) => r.pass[rt] !== undefined && r.suspect[rt]).length])),
        wrong_answers: wrong,
        table: rows,
        results,
        rounds,
      },
      null,
      2,
    )}\n`,
  );

  process.stdout.write(`\n${tables}\n\nWhich process saturated (CPU in cores; "loop" is the main thread, the event loop):\n\n${sat}\n\n`);
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  for (const rt of gatewayRuntimes) {
    const suspect = rows.filter((r) => r.pass[rt] !== undefined && r.suspect[rt]).length;
    const caveats = [
      ...(options.quick ? ["quick run: smaller counts, not the targets' figures"] : []),
      ...(suspect > 0 ? [`${suspect} verdict${suspect > 1 ? 's' : ''} from windows with outside load, marked ?`] : []),
    ];
    process.stdout.write(`targets on ${rt}: ${passed[rt] ? 'all met' : 'NOT all met'}${caveats.length > 0 ? ` (${caveats.join('; ')})` : ''}\n`);
  }
  if (options.cpuProf) process.stdout.write(`CPU profiles: ${relative(repoDir, profileDir)}/\n`);
  process.stdout.write(`results: ${relative(process.cwd(), out)}\n`);
  // Missed targets are findings, not errors; a wrong answer is an error.
  return wrong ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killAllChildren();
    process.exit(1);
  },
);
