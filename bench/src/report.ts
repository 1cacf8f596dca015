import type { Column, Results } from './measured.ts';
import type { Runtime } from './options.ts';

export interface Row {
  workload: string;
  figure: string;
  /** DIRECT, or BARE of each runtime for idle. */
  base: Partial<Record<Runtime | 'direct', number>>;
  gateway: Partial<Record<Runtime, number>>;
  ratio: Partial<Record<Runtime, number>>;
  /** `--floor`: the runtime's relay floor, and gateway/floor. */
  floor: Partial<Record<Runtime, number>>;
  floorRatio: Partial<Record<Runtime, number>>;
  target: string;
  pass: Partial<Record<Runtime, boolean>>;
  /** The verdict rests on a window with outside load or a busy machine before it (`Measured.suspect`). */
  suspect: Partial<Record<Runtime, boolean>>;
  /** A count: shown as a whole number. */
  count?: boolean;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/**
 * a / b to 2 decimals, or to as many more (up to 6) as it takes for the
 * rounded ratio to sit on the same side of `limit` as the exact one: the
 * table never shows 0.5999 as "0.60" beside a FAIL of "≥ 0.6".
 */
export function ratio(a: number | undefined, b: number | undefined, limit?: number): number | undefined {
  if (a === undefined || b === undefined || b === 0) return undefined;
  const exact = a / b;
  let digits = 2;
  while (limit !== undefined && digits < 6 && Math.sign(round(exact, digits) - limit) !== Math.sign(exact - limit)) digits++;
  return round(exact, digits);
}

/**
 * The table's rows: figures per column, gateway/DIRECT (or gateway/BARE)
 * ratios, targets of issue 6. `idleSockets`: the sockets the idle target
 * asks to be held (10,000 in a full run); a run that opened fewer misses it.
 */
export function buildRows(results: Results, gatewayRuntimes: Runtime[], bareRuntimes: Runtime[], idleSockets = 0): Row[] {
  let runtimes = gatewayRuntimes;
  const rows: Row[] = [];
  const suspectIn = (workload: string, column: Column) =>
    (results as Record<string, Partial<Record<Column, { suspect?: boolean }>> | undefined>)[workload]?.[column]?.suspect === true;
  const add = (
    workload: string,
    figure: string,
    pick: (c: Column) => number | undefined,
    opts: {
      target?: string;
      pass?: (gw: number, base: number | undefined, rt: Runtime) => boolean;
      /** The target's bound on gateway/base, if the target is a ratio: the ratio is shown precisely enough to tell its side. */
      ratioLimit?: number;
      baseOf?: (rt: Runtime) => Column;
      noRatio?: boolean;
      count?: boolean;
    } = {},
  ) => {
    const row: Row = { workload, figure, base: {}, gateway: {}, ratio: {}, floor: {}, floorRatio: {}, target: opts.target ?? '', pass: {}, suspect: {}, ...(opts.count ? { count: true } : {}) };
    const direct = opts.baseOf ? undefined : pick('direct');
    if (direct !== undefined) row.base.direct = direct;
    for (const rt of runtimes) {
      const baseCol = opts.baseOf ? opts.baseOf(rt) : 'direct';
      const base = pick(baseCol);
      if (opts.baseOf && base !== undefined) row.base[rt] = base;
      const floor = opts.baseOf ? undefined : pick(`floor-${rt}`);
      if (floor !== undefined) row.floor[rt] = floor;
      const gw = pick(rt);
      if (gw === undefined) continue;
      row.gateway[rt] = gw;
      const q = opts.noRatio ? undefined : ratio(gw, base, opts.ratioLimit);
      if (q !== undefined) row.ratio[rt] = q;
      const qf = opts.noRatio ? undefined : ratio(gw, floor);
      if (qf !== undefined) row.floorRatio[rt] = qf;
      if (opts.pass) {
        row.pass[rt] = opts.pass(gw, base, rt);
        if (suspectIn(workload, rt) || suspectIn(workload, baseCol)) row.suspect[rt] = true;
      }
    }
    rows.push(row);
  };

  const s = results.stream;
  if (s) {
    const ok = (c: Column) => (s[c]?.failures ?? 1) === 0 && (s.direct?.failures ?? 1) === 0;
    add('stream', 'content chars/s', (c) => s[c]?.chars_per_s, { target: '≥ 0.6 × DIRECT', ratioLimit: 0.6, pass: (gw, d, rt) => d !== undefined && gw >= 0.6 * d && ok(rt) });
    add('stream', 'frames/s', (c) => s[c]?.frames_per_s);
    add('stream', 'tokens per frame', (c) => s[c]?.tokens_per_frame);
    add('stream', 'gateway CPU s per M tokens', (c) => s[c]?.gateway_cpu_s_per_mtok, { target: '≤ 2 s', pass: (gw) => gw <= 2, noRatio: true });
    add('stream', 'gateway peak RSS MB', (c) => s[c]?.gateway_peak_rss_mb, { noRatio: true });
    add('stream', 'wrong answers', (c) => s[c]?.failures, { target: '0', pass: (gw) => gw === 0, noRatio: true, count: true });
  }
  const l = results.latency;
  if (l) {
    add('latency', 'p50 ms', (c) => l[c]?.result.p50_ms);
    add('latency', 'p99 ms', (c) => l[c]?.result.p99_ms, {
      target: '≤ DIRECT p99 + 5 ms',
      pass: (gw, d, rt) => d !== undefined && gw <= d + 5 && (l[rt]?.failures ?? 1) === 0,
    });
    add('latency', 'max ms', (c) => l[c]?.result.max_ms);
    add('latency', 'p99 ms after each session\'s first 0.5 s', (c) => l[c]?.result.steady_p99_ms);
    add('latency', 'p99 ms of the warm-up pass (a fresh process, 1 s)', (c) => l[c]?.result.warmup_p99_ms);
    add('latency', 'events measured', (c) => l[c]?.result.samples, { noRatio: true, count: true });
    add('latency', 'wrong answers', (c) => l[c]?.failures, { target: '0', pass: (gw) => gw === 0, noRatio: true, count: true });
  }
  const t = results.turns;
  if (t) {
    add('turns', 'turns/s', (c) => t[c]?.turns_per_s, {
      target: '≥ 0.4 × DIRECT',
      ratioLimit: 0.4,
      pass: (gw, d, rt) => d !== undefined && gw >= 0.4 * d && (t[rt]?.failures ?? 1) === 0,
    });
    add('turns', 'turn p50 ms', (c) => t[c]?.result.p50_ms);
    add('turns', 'turn p99 ms', (c) => t[c]?.result.p99_ms);
    add('turns', 'TCP connections to the agent', (c) => t[c]?.agent_connections, {
      target: '≈ sessions, not turns',
      // Warm-up included: at most the sessions of the warm-up plus the measured pass.
      pass: (gw, _d, rt) => gw <= (t[rt]?.result.sessions ?? 0) * 1.5 + 10,
      noRatio: true,
      count: true,
    });
    add('turns', 'wrong answers', (c) => t[c]?.failures, { target: '0', pass: (gw) => gw === 0, noRatio: true, count: true });
  }
  const i = results.idle;
  if (i) {
    runtimes = bareRuntimes;
    const bare = (rt: Runtime): Column => `bare-${rt}`;
    // What a socket keeps: RSS read after a full collection, before and while held.
    add('idle', 'RSS per socket KiB, after a full GC', (c) => i[c]?.rss_per_socket_collected_kib, {
      target: '≤ 1.5 × BARE',
      ratioLimit: 1.5,
      baseOf: bare,
      pass: (gw, b, rt) => b !== undefined && gw <= 1.5 * b && held(rt) && held(bare(rt)),
    });
    add('idle', 'JS heap per socket KiB, after a full GC', (c) => i[c]?.heap_per_socket_collected_kib, { baseOf: bare });
    // As read a few seconds after the storm: the handshakes' garbage V8 has not collected yet is in it.
    add('idle', 'RSS per socket KiB, as read (garbage of the handshakes included)', (c) => i[c]?.rss_per_socket_kib, { baseOf: bare });
    add('idle', 'sockets held', (c) => i[c]?.still_open, {
      target: idleSockets > 0 ? `all ${idleSockets.toLocaleString('en-US')}` : 'all requested',
      baseOf: bare,
      pass: (_gw, _b, rt) => held(rt),
      noRatio: true,
      count: true,
    });
    add('idle', 'refused or failed', (c) => (i[c] ? i[c]!.opened.refused + i[c]!.opened.errors : undefined), { target: '0', baseOf: bare, pass: (gw) => gw === 0, noRatio: true, count: true });
    add('idle', 'time to open s', (c) => (i[c] ? i[c]!.opened.open_ms / 1000 : undefined), { baseOf: bare });
    add('idle', 'server RSS held MB', (c) => i[c]?.rss_held_mb, { baseOf: bare });
    function held(c: Column): boolean {
      const m = i![c];
      return m !== undefined && m.opened.requested >= idleSockets && m.still_open === m.opened.requested && m.failures === 0;
    }
  }
  return rows;
}

const fmt = (v: number | undefined): string => {
  if (v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 100_000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
};
/** A ratio as `ratio()` rounded it: 2 decimals, or the more it kept near a target's bound. */
const fmtRatio = (v: number | undefined): string => (v !== undefined && Math.abs(v) < 10 && round(v, 2) !== v ? String(v) : fmt(v));
/** `pass?` / `FAIL?`: the verdict of a window with outside load in it (the saturation table says how much). */
const verdict = (r: Row, rt: Runtime) => {
  const p = r.pass[rt];
  return p === undefined ? '' : `${p ? 'pass' : 'FAIL'}${r.suspect[rt] ? '?' : ''}`;
};
const fmtRow = (r: Row, v: number | undefined) => (r.count && v !== undefined ? Math.round(v).toLocaleString('en-US') : fmt(v));

/** The rows as Markdown tables: one for stream/latency/turns (vs DIRECT), one for idle (vs BARE). */
export function renderTables(rows: Row[], gatewayRuntimes: Runtime[], bareRuntimes: Runtime[]): string {
  const out: string[] = [];
  let runtimes = gatewayRuntimes;
  const main = rows.filter((r) => r.workload !== 'idle');
  if (main.length > 0) {
    // With --floor: each runtime's relay floor and gateway/FLOOR beside its gateway.
    const floors = main.some((r) => Object.keys(r.floor).length > 0);
    const perRuntime = (rt: Runtime) => (floors ? [`FLOOR ${rt}`, `gateway ${rt}`, `${rt}/DIRECT`, `${rt}/FLOOR`] : [`gateway ${rt}`, `${rt}/DIRECT`]);
    const cells = (r: Row, rt: Runtime) =>
      floors ? [fmtRow(r, r.floor[rt]), fmtRow(r, r.gateway[rt]), fmtRatio(r.ratio[rt]), fmt(r.floorRatio[rt])] : [fmtRow(r, r.gateway[rt]), fmtRatio(r.ratio[rt])];
    const head = ['workload', 'figure', 'DIRECT', ...runtimes.flatMap(perRuntime), 'target', ...runtimes];
    out.push(table(head, main.map((r) => [r.workload, r.figure, fmtRow(r, r.base.direct), ...runtimes.flatMap((rt) => cells(r, rt)), r.target, ...runtimes.map((rt) => verdict(r, rt))])));
  }
  const idle = rows.filter((r) => r.workload === 'idle');
  runtimes = bareRuntimes;
  if (idle.length > 0) {
    const head = ['workload', 'figure', ...runtimes.flatMap((rt) => [`BARE ${rt}`, `gateway ${rt}`, `${rt}/BARE`]), 'target', ...runtimes];
    out.push(table(head, idle.map((r) => [r.workload, r.figure, ...runtimes.flatMap((rt) => [fmtRow(r, r.base[rt]), fmtRow(r, r.gateway[rt]), fmtRatio(r.ratio[rt])]), r.target, ...runtimes.map((rt) => verdict(r, rt))])));
  }
  return out.join('\n\n');
}

/** Which process saturated, per workload and column. */
export function renderSaturation(results: Results): string {
  const lines: string[] = [];
  for (const [workload, columns] of Object.entries(results)) {
    for (const [column, m] of Object.entries(columns as Record<string, { saturated: string; saturation_detail: string; window: { wall_s: number } }>)) {
      lines.push(`| ${workload} | ${column} | ${m.saturated} | ${m.saturation_detail} (${m.window.wall_s.toFixed(2)} s) |`);
    }
  }
  return ['| workload | column | saturated | CPU in cores over the measured window |', '|---|---|---|---|', ...lines].join('\n');
}

function table(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
