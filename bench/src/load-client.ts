/**
 * The load client: a process of its own, told its job in argv[2] (JSON).
 * It prepares (warm-up, sockets), prints `{"event":"ready"}`, waits for `go`
 * on stdin, runs the measured pass and prints `{"event":"result",…}`. Every
 * wait is bounded by the job's `timeoutMs`; then it exits by itself.
 */
import { Agent } from 'node:http';
import { createInterface } from 'node:readline';
import { DirectSession } from './direct-session.ts';
import { runIdle } from './idle-client.ts';
import { turnsWarmup, type ClientMessage, type Job, type LatencyResult, type StreamResult, type TurnsResult } from './jobs.ts';
import type { Scenario } from './scenario.ts';
import { round, summarize } from './stats.ts';

const round2 = (v: number) => round(v, 2);
import { Failures, type LatencySink } from './turn-check.ts';
import { WsSession } from './ws-session.ts';

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const say = (message: ClientMessage): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

const commands: string[] = [];
const waiters: Array<{ command: string; resolve: () => void }> = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  const waiter = waiters.findIndex((w) => w.command === line.trim());
  if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve();
  else commands.push(line.trim());
});
/** Resolves when the orchestrator writes `command`; rejects after `timeoutMs`. */
function command(name: string, timeoutMs: number): Promise<void> {
  const queued = commands.indexOf(name);
  if (queued >= 0) {
    commands.splice(queued, 1);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${name}" within ${timeoutMs} ms`)), timeoutMs);
    waiters.push({ command: name, resolve: () => (clearTimeout(timer), resolve()) });
  });
}

// The process never outlives its job.
setTimeout(() => {
  say({ event: 'fatal', message: `client still running after ${job.timeoutMs} ms` });
  process.exit(3);
}, job.timeoutMs + 10_000).unref();

type Session = WsSession | DirectSession;
const httpAgent = new Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 60_000 });

async function openSessions(prefix: string, count: number): Promise<Session[]> {
  if (job.target === 'direct') return Array.from({ length: count }, (_, i) => new DirectSession(job.url, `${prefix}-${i}`, httpAgent));
  return Promise.all(Array.from({ length: count }, (_, i) => WsSession.open(job.url, `${prefix}-${i}`, Math.min(job.timeoutMs, 30_000))));
}

async function closeSessions(sessions: Session[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.close()));
}

function failuresOf(sessions: Session[], warmup = new Failures()): Failures {
  const all = new Failures();
  all.merge(warmup);
  for (const s of sessions) all.merge(s.failures);
  return all;
}

/**
 * The measured pass is over: the orchestrator closes the measured window,
 * and the client keeps listening for `job.graceMs` (a frame after a terminal
 * frame is a wrong answer, and the last turn of a session has no next one to
 * show it), then counts what every session got wrong, warm-up included.
 */
async function afterPass(sessions: Session[], warmup: Failures): Promise<Failures> {
  say({ event: 'measured' });
  await new Promise((resolve) => setTimeout(resolve, job.graceMs));
  return failuresOf(sessions, warmup);
}

/**
 * Latency warm-up, after the ticks pass: short turns per session, so that the
 * turn-start path runs optimized code in the measured burst (100 starts alone
 * leave it to the interpreter), as in a gateway that has been serving a while.
 */
const LATENCY_WARMUP_TURNS = 10;

/** Latency is also summarized without each session's first half second (its start-up burst). */
const STEADY_AFTER_MS = 500;

const turnTimeout = () => Math.min(job.timeoutMs, 60_000);

/** `rounds` times: every session streams one turn of `tokens` tokens at once. Totals over the rounds. */
async function streamPass(sessions: Session[], tokens: number, size: number, rounds: number): Promise<Omit<StreamResult, 'kind' | 'failures' | 'failure_samples'>> {
  const scenario: Scenario = { name: 'tokens', count: tokens, size, delay_ms: 0 };
  let chars = 0;
  let frames = 0;
  let tokenFrames = 0;
  const roundMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    const checks = await Promise.all(sessions.map((s, i) => s.turn(`stream-${round}-${i}`, scenario, turnTimeout())));
    roundMs.push(performance.now() - start);
    for (const { check } of checks) {
      chars += check.chars;
      frames += check.frames;
      tokenFrames += check.tokenFrames;
    }
  }
  return {
    sessions: sessions.length,
    rounds,
    duration_ms: round2(roundMs.reduce((a, b) => a + b, 0)),
    round_ms: roundMs.map(round2),
    chars,
    tokens: tokens * sessions.length * rounds,
    frames,
    token_frames: tokenFrames,
  };
}

async function latencyPass(sessions: Session[], intervalMs: number, durationMs: number) {
  const scenario: Scenario = { name: 'ticks', interval_ms: intervalMs, duration_ms: durationMs };
  const latencies: LatencySink = { all: [], steady: [], steadyFromTick: Math.ceil(STEADY_AFTER_MS / intervalMs), stamped: job.kind === 'latency' && job.stamped };
  const start = performance.now();
  await Promise.all(sessions.map((s, i) => s.turn(`ticks-${i}`, scenario, durationMs + turnTimeout(), latencies)));
  return { duration: performance.now() - start, latencies };
}

async function turnsPass(sessions: Session[], turns: number, tokens: number, size: number) {
  const scenario: Scenario = { name: 'tokens', count: tokens, size, delay_ms: 0 };
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    sessions.map(async (s, i) => {
      for (let t = 0; t < turns; t++) {
        const { check, sentAt } = await s.turn(`turn-${i}-${t}`, scenario, turnTimeout());
        if (check.terminalAt !== undefined) latencies.push(check.terminalAt - sentAt);
        if (check.failures.count > 0 && check.terminalAt === undefined) break; // a dead session: do not wait out every turn
      }
    }),
  );
  return { duration: performance.now() - start, latencies };
}

async function main(): Promise<void> {
  const run = `${job.label}-${process.pid}`;
  let warmupP99: number | undefined;
  if (job.kind === 'idle') return runIdle(job, say, command);
  const warmup = new Failures();

  if (job.warmup) {
    // Warm-up: the JIT of every process optimizes the paths it will run. The stream
    // workload's rounds kept getting faster after a 10-session warm-up: two full rounds.
    // Latency: every session for 1 s. After 10 sessions only, a fresh gateway's first
    // 100 turn starts ran unoptimized code and opened 90 new agent connections, and set
    // the p99 (17–22 ms against 6–8 ms for the next pass); that pass is reported apart.
    // Turns: see turnsWarmup.
    const warm = await openSessions(`warm-${run}`, job.sessions);
    if (job.kind === 'stream') await streamPass(warm, job.tokens, job.size, 2);
    if (job.kind === 'latency') {
      warmupP99 = summarize((await latencyPass(warm, job.intervalMs, Math.min(job.durationMs / 2, 1000))).latencies.all).p99;
      await turnsPass(warm, LATENCY_WARMUP_TURNS, 5, 4);
    }
    if (job.kind === 'turns') await turnsPass(warm, turnsWarmup(job.sessions, job.turns).turns, job.tokens, job.size);
    await new Promise((resolve) => setTimeout(resolve, job.graceMs));
    await closeSessions(warm);
    // A fast wrong answer in the warm-up is still a wrong answer.
    warmup.merge(failuresOf(warm), 'warm-up: ');
  }
  const sessions = await openSessions(run, job.sessions);
  say({ event: 'ready' });
  await command('go', job.timeoutMs);

  if (job.kind === 'stream') {
    const pass = await streamPass(sessions, job.tokens, job.size, job.rounds);
    const failures = await afterPass(sessions, warmup);
    say({ event: 'result', result: { kind: 'stream', ...pass, failures: failures.count, failure_samples: failures.messages } });
    return closeSessions(sessions);
  }
  if (job.kind === 'latency') {
    const { duration, latencies } = await latencyPass(sessions, job.intervalMs, job.durationMs);
    const failures = await afterPass(sessions, warmup);
    const s = summarize(latencies.all);
    const steady = summarize(latencies.steady);
    const result: LatencyResult = {
      kind: 'latency',
      sessions: sessions.length,
      duration_ms: round(duration),
      samples: latencies.all.length,
      p50_ms: round(s.p50, 3),
      p99_ms: round(s.p99, 3),
      max_ms: round(s.max, 3),
      mean_ms: round(s.mean, 3),
      steady_after_ms: STEADY_AFTER_MS,
      steady_p50_ms: round(steady.p50, 3),
      steady_p99_ms: round(steady.p99, 3),
      steady_max_ms: round(steady.max, 3),
      ...(warmupP99 === undefined ? {} : { warmup_p99_ms: round(warmupP99, 3) }),
      failures: failures.count,
      failure_samples: failures.messages,
    };
    say({ event: 'result', result });
    return closeSessions(sessions);
  }
  const { duration, latencies } = await turnsPass(sessions, job.turns, job.tokens, job.size);
  const failures = await afterPass(sessions, warmup);
  const s = summarize(latencies);
  const result: TurnsResult = {
    kind: 'turns',
    sessions: sessions.length,
    turns: latencies.length,
    duration_ms: round(duration),
    p50_ms: round(s.p50, 3),
    p99_ms: round(s.p99, 3),
    max_ms: round(s.max, 3),
    failures: failures.count,
    failure_samples: failures.messages,
  };
  say({ event: 'result', result });
  await closeSessions(sessions);
}

main().then(
  () => {
    httpAgent.destroy();
    process.exit(0);
  },
  (error: unknown) => {
    say({ event: 'fatal', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
