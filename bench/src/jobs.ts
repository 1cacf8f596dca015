/** What the orchestrator asks a load-client process to do (argv[2], JSON). */
export type TargetKind = 'direct' | 'ws';

interface JobBase {
  /** DIRECT: the agent's URL; ws: the gateway's `ws://host:port`. */
  url: string;
  target: TargetKind;
  /** Bounds every wait of the client; it exits by itself after it. */
  timeoutMs: number;
  /** A smaller unmeasured pass first, so JIT warm-up is not measured; its wrong answers count like any other. */
  warmup: boolean;
  /**
   * After the measured pass (outside the measured window): how long the
   * client keeps listening before it counts the wrong answers, so a frame
   * that comes after a session's last terminal frame is one of them.
   */
  graceMs: number;
  label: string;
}

/**
 * The turns workload's unmeasured pass: every session, up to 150 turns each.
 * After 10 × 50 a gateway still served its first 4,000 turns at half its later rate.
 */
export const turnsWarmup = (sessions: number, turns: number) => ({ sessions, turns: Math.min(turns, 150) });

export type Job =
  | (JobBase & { kind: 'stream'; sessions: number; tokens: number; size: number; rounds: number })
  | (JobBase & { kind: 'latency'; sessions: number; intervalMs: number; durationMs: number; /** The agent stamps its ticks (`LatencySink.stamped`). */ stamped: boolean })
  | (JobBase & { kind: 'turns'; sessions: number; turns: number; tokens: number; size: number })
  | (JobBase & { kind: 'idle'; target: 'ws'; sockets: number; concurrency: number; gateway: boolean });

export interface FailureReport {
  failures: number;
  failure_samples: string[];
}

export interface StreamResult extends FailureReport {
  kind: 'stream';
  sessions: number;
  /** The workload ran this many times back to back; figures are totals over the rounds. */
  rounds: number;
  duration_ms: number;
  round_ms: number[];
  chars: number;
  tokens: number;
  frames: number;
  token_frames: number;
}

export interface LatencyResult extends FailureReport {
  kind: 'latency';
  sessions: number;
  duration_ms: number;
  samples: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  /** The same without each session's first `steady_after_ms` (the start-up burst of every turn at once). */
  steady_after_ms: number;
  steady_p50_ms: number;
  steady_p99_ms: number;
  steady_max_ms: number;
  /** p99 of the warm-up pass: the same sessions' first turns in a fresh process (no JIT, no open agent connections). */
  warmup_p99_ms?: number;
}

export interface TurnsResult extends FailureReport {
  kind: 'turns';
  sessions: number;
  turns: number;
  duration_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface IdleOpened {
  requested: number;
  opened: number;
  refused: number;
  errors: number;
  open_ms: number;
  error_samples: string[];
}

export type ClientMessage =
  | { event: 'ready' }
  /** The measured pass is over: the measured window ends here; the result follows after `graceMs`. */
  | { event: 'measured' }
  | { event: 'opened'; opened: IdleOpened }
  | { event: 'result'; result: StreamResult | LatencyResult | TurnsResult | (FailureReport & { kind: 'idle'; opened: IdleOpened; still_open: number }) }
  | { event: 'fatal'; message: string };
