import type { IdleOpened, LatencyResult, StreamResult, TurnsResult } from './jobs.ts';
import type { Runtime } from './options.ts';
import type { WindowStats } from './proc-stats.ts';

/** Column of the table: DIRECT or a gateway runtime; BARE servers for idle; relay floors (`--floor`). */
export type Column = 'direct' | Runtime | `bare-${Runtime}` | `floor-${Runtime}`;

interface MeasuredBase {
  column: Column;
  window: WindowStats;
  saturated: string;
  saturation_detail: string;
  /** Outside load in the window, or a machine busy before it: the window's figures, and any verdict on them, are suspect. */
  suspect: boolean;
  failures: number;
  failure_samples: string[];
}

export interface StreamMeasured extends MeasuredBase {
  result: StreamResult;
  chars_per_s: number;
  frames_per_s: number;
  tokens_per_frame: number;
  /** Gateway only. */
  gateway_cpu_s_per_mtok?: number;
  gateway_peak_rss_mb?: number;
}

export interface LatencyMeasured extends MeasuredBase {
  result: LatencyResult;
}

export interface TurnsMeasured extends MeasuredBase {
  result: TurnsResult;
  turns_per_s: number;
  /** TCP connections the agent accepted from this column's client side (the gateway, or DIRECT's client), warm-up included. */
  agent_connections: number;
  turns_sent: number;
}

export interface IdleMeasured extends MeasuredBase {
  opened: IdleOpened;
  still_open: number;
  /** Server RSS before the sockets open, after a full collection. */
  rss_before_mb: number;
  /** Server RSS while the sockets are held, as read (after the hold: 3 s, quick 0.8 s). */
  rss_held_mb: number;
  /** The same after a full collection. */
  rss_held_collected_mb: number;
  /** (RSS held as read − RSS before) / sockets: the handshakes' garbage V8 has not collected yet included. */
  rss_per_socket_kib: number;
  /** (RSS held after a full collection − RSS before) / sockets: what the server keeps per socket. */
  rss_per_socket_collected_kib: number;
  /** JS heap in use after the two collections, held − before, per socket. */
  heap_per_socket_collected_kib: number;
}

export interface Results {
  stream?: Partial<Record<Column, StreamMeasured>>;
  latency?: Partial<Record<Column, LatencyMeasured>>;
  turns?: Partial<Record<Column, TurnsMeasured>>;
  idle?: Partial<Record<Column, IdleMeasured>>;
}
