import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime and stime of a /proc stat line, in seconds (fields 14 and 15; the command may hold spaces). */
function statSeconds(path: string): { user: number; sys: number } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** CPU seconds of the whole process (and its kernel part) and of its main thread (the JS event loop). */
export function cpuSeconds(pid: number): { total: number; sys: number; main: number } | undefined {
  const all = statSeconds(`/proc/${pid}/stat`);
  const main = statSeconds(`/proc/${pid}/task/${pid}/stat`);
  return all === undefined || main === undefined ? undefined : { total: all.user + all.sys, sys: all.sys, main: main.user + main.sys };
}

export function rssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of every core together (/proc/stat's first line). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export interface ProcessWindow {
  pid: number;
  /** CPU seconds in the window, all threads / the main thread; `sys_cpu_s`: the kernel's part (syscalls, loopback TCP). */
  cpu_s: number;
  sys_cpu_s: number;
  main_cpu_s: number;
  /** Share of one core over the window. */
  cpu_cores: number;
  main_cpu_cores: number;
  peak_rss_mb: number;
}

export interface WindowStats {
  wall_s: number;
  processes: Record<string, ProcessWindow>;
  /** Cores busy on the whole machine over the window (of `cores`). */
  machine_busy_cores: number;
  cores: number;
}

/** Samples CPU and RSS of named processes between `start` and `stop`. */
export class Sampler {
  #start = 0;
  #cpu0 = new Map<string, { total: number; sys: number; main: number }>();
  #peak = new Map<string, number>();
  #machine0 = { busy: 0, total: 0 };
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly pids: Record<string, number>,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.#start = performance.now();
    this.#machine0 = machineJiffies();
    for (const [name, pid] of Object.entries(this.pids)) {
      this.#cpu0.set(name, cpuSeconds(pid) ?? { total: 0, sys: 0, main: 0 });
      this.#peak.set(name, rssBytes(pid) ?? 0);
    }
    this.#timer = setInterval(() => this.#sampleRss(), this.intervalMs);
  }

  #sampleRss(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = rssBytes(pid);
      if (rss !== undefined && rss > (this.#peak.get(name) ?? 0)) this.#peak.set(name, rss);
    }
  }

  stop(): WindowStats {
    clearInterval(this.#timer);
    this.#sampleRss();
    const wall = (performance.now() - this.#start) / 1000;
    const machine = machineJiffies();
    const cores = (machine.total - this.#machine0.total) > 0 ? (machine.total - this.#machine0.total) / (CLK_TCK * wall) : 0;
    const processes: Record<string, ProcessWindow> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.#cpu0.get(name)!;
      const after = cpuSeconds(pid) ?? before;
      const cpu = after.total - before.total;
      const main = after.main - before.main;
      processes[name] = {
        pid,
        cpu_s: round3(cpu),
        sys_cpu_s: round3(after.sys - before.sys),
        main_cpu_s: round3(main),
        cpu_cores: round3(cpu / wall),
        main_cpu_cores: round3(main / wall),
        peak_rss_mb: round3((this.#peak.get(name) ?? 0) / 2 ** 20),
      };
    }
    return {
      wall_s: round3(wall),
      processes,
      machine_busy_cores: round3((machine.busy - this.#machine0.busy) / (CLK_TCK * wall)),
      cores: Math.round(cores),
    };
  }
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Waits (at most `maxMs`) for the machine to be nearly idle before a measured
 * window: on a shared machine other work would otherwise land in the figures.
 * Returns the busy cores of the last 0.3 s looked at.
 */
export async function waitForQuiet(maxMs: number, busyBelow = 0.3): Promise<{ quiet: boolean; busy_cores: number }> {
  const deadline = performance.now() + maxMs;
  let busy = 0;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const before = machineJiffies();
    await new Promise((r) => setTimeout(r, 300));
    const after = machineJiffies();
    busy = (after.busy - before.busy) / (CLK_TCK * 0.3);
    if (busy < busyBelow) return { quiet: true, busy_cores: round3(busy) };
    if (performance.now() >= deadline) break;
  }
  return { quiet: false, busy_cores: round3(busy) };
}
