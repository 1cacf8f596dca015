import type { IdleMeasured, LatencyMeasured, StreamMeasured, TurnsMeasured } from './measured.ts';

export type Measured = StreamMeasured | LatencyMeasured | TurnsMeasured | IdleMeasured;

/** The figure a column's rounds are ranked by: each workload's target figure. */
const RANK: Record<'stream' | 'latency' | 'turns' | 'idle', (m: Measured) => number> = {
  stream: (m) => (m as StreamMeasured).chars_per_s,
  latency: (m) => (m as LatencyMeasured).result.p99_ms,
  turns: (m) => (m as TurnsMeasured).turns_per_s,
  idle: (m) => (m as IdleMeasured).rss_per_socket_collected_kib,
};

/**
 * Each column's median round by the workload's target figure (the lower
 * middle of an even count). Wrong answers of every round are kept on it: a
 * wrong answer in any round is one.
 */
export function medianRounds(measured: Record<string, Measured[]>, workload: keyof typeof RANK): Record<string, Measured> {
  const picked: Record<string, Measured> = {};
  for (const [column, list] of Object.entries(measured)) {
    const sorted = [...list].sort((a, b) => RANK[workload](a) - RANK[workload](b));
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    picked[column] = {
      ...median,
      failures: list.reduce((sum, m) => sum + m.failures, 0),
      failure_samples: list.flatMap((m) => m.failure_samples).slice(0, 5),
    };
  }
  return picked;
}
