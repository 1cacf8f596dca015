export type Runtime = 'node' | 'deno';
export type WorkloadName = 'stream' | 'latency' | 'turns' | 'idle';
export const WORKLOADS: readonly WorkloadName[] = ['stream', 'latency', 'turns', 'idle'];

export interface BenchOptions {
  quick: boolean;
  runtimes: Runtime[];
  workloads: WorkloadName[];
  /** `stub`: bench/src/stub-agent.ts; `mock`: apps/mock-agent (one awaited chunk per event). */
  agent: 'stub' | 'mock';
  /** Gateway CPU profiles (`node --cpu-prof`; Deno through its inspector) into bench/results/profiles/. */
  cpuProf: boolean;
  out: string | undefined;
  /** Rounds of every workload, the columns taking turns; each column's median round is reported. */
  repeat: number;
  /** Latency and turns also measure each runtime's relay floor (bench/src/diagnostics/relay-floor.*). */
  floor: boolean;
  stream: { sessions: number; tokens: number; size: number; rounds: number };
  latency: { sessions: number; intervalMs: number; durationMs: number };
  turns: { sessions: number; turns: number; tokens: number; size: number };
  idle: { sockets: number; concurrency: number; holdMs: number; settleMs: number };
  /**
   * After each pass, outside the measured window, the load client listens
   * this long before it counts wrong answers (a frame after a terminal
   * frame). Full: past the gateway's 1 s drain of an agent body after its
   * terminal event. Quick: many token-buffer flushes.
   */
  graceMs: number;
}

const FULL = {
  stream: { sessions: 50, tokens: 4000, size: 4, rounds: 5 },
  latency: { sessions: 100, intervalMs: 20, durationMs: 4000 },
  turns: { sessions: 20, turns: 200, tokens: 5, size: 4 },
  idle: { sockets: 10_000, concurrency: 200, holdMs: 3000, settleMs: 1000 },
  graceMs: 1100,
};

const QUICK = {
  stream: { sessions: 20, tokens: 4000, size: 4, rounds: 2 },
  latency: { sessions: 20, intervalMs: 20, durationMs: 1500 },
  turns: { sessions: 10, turns: 40, tokens: 5, size: 4 },
  idle: { sockets: 1000, concurrency: 100, holdMs: 800, settleMs: 300 },
  graceMs: 250,
};

export const USAGE = `pnpm bench [--quick] [--runtimes node,deno] [--workloads stream,latency,turns,idle]
           [--agent stub|mock] [--idle-sockets N] [--repeat N] [--floor] [--cpu-prof] [--out FILE]

  --quick         smaller counts; finishes in under a minute
  --runtimes      gateway runtimes to run beside DIRECT/BARE (default: node,deno; deno is
                  skipped with a note when the gateway has no Deno entrypoint)
  --workloads     which workloads (default: all four)
  --agent         stub (default): bench/src/stub-agent.ts; mock: apps/mock-agent
  --idle-sockets  sockets of the idle workload (default 10000, quick 1000)
  --repeat        rounds of each workload, DIRECT/BARE and the gateways taking turns; each
                  column reports its median round (default 3, quick 1)
  --floor         latency and turns also measure FLOOR, the smallest relay each runtime
                  can do with the gateway's transport and no gateway code, as columns
                  of their own: what any relay costs here, beside what the gateway costs
  --cpu-prof      write gateway CPU profiles to bench/results/profiles/
  --out FILE      the JSON results file (default bench/results/<timestamp>.json)`;

/** Parses argv (after the script); throws with a message on anything unknown. */
export function parseOptions(argv: string[]): BenchOptions {
  const args = argv.filter((a) => a !== '--');
  const quick = args.includes('--quick');
  const base = quick ? QUICK : FULL;
  const options: BenchOptions = {
    quick,
    runtimes: ['node', 'deno'],
    workloads: [...WORKLOADS],
    agent: 'stub',
    cpuProf: false,
    out: undefined,
    repeat: quick ? 1 : 3,
    floor: false,
    stream: { ...base.stream },
    latency: { ...base.latency },
    turns: { ...base.turns },
    idle: { ...base.idle },
    graceMs: base.graceMs,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`${flag} must be an integer from 1 to 100000`);
      return n;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--cpu-prof':
        options.cpuProf = true;
        break;
      case '--floor':
        options.floor = true;
        break;
      case '--runtimes':
        options.runtimes = list(value(), ['node', 'deno'] as const, flag);
        break;
      case '--workloads':
        options.workloads = list(value(), WORKLOADS, flag);
        break;
      case '--agent': {
        const v = value();
        if (v !== 'stub' && v !== 'mock') throw new Error('--agent is stub or mock');
        options.agent = v;
        break;
      }
      case '--idle-sockets':
        options.idle.sockets = count();
        break;
      case '--out':
        options.out = value();
        break;
      case '--repeat':
        options.repeat = count();
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return options;
}

function list<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`${flag}: ${item} is not one of ${allowed.join(', ')}`);
  if (items.length === 0) throw new Error(`${flag} needs at least one of ${allowed.join(', ')}`);
  return items as T[];
}
