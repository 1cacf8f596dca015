import type { WindowStats } from './proc-stats.ts';

/** A JavaScript event loop at this share of a core or more is the bottleneck. */
const LOOP_SATURATED = 0.85;
/** The machine is the bottleneck when this share of its cores is busy. */
const MACHINE_SATURATED = 0.9;
/** CPU of processes the bench did not start, above which a window is flagged. */
const OTHERS_WARN = 0.25;

/**
 * Which process saturated over a measured window: the machine when its cores
 * are (nearly) all busy, else each process whose main thread (the event loop,
 * /proc/<pid>/task/<pid>/stat) was busy nearly all the time, else none (the
 * workload was paced, not CPU-bound).
 */
export function saturation(window: WindowStats): { verdict: string; detail: string } {
  const procs = Object.entries(window.processes);
  const detail = [
    ...procs.map(([name, p]) => `${name} ${p.cpu_cores.toFixed(2)} (loop ${p.main_cpu_cores.toFixed(2)})`),
    `others ${Math.max(0, window.machine_busy_cores - procs.reduce((sum, [, p]) => sum + p.cpu_cores, 0)).toFixed(2)}`,
    `machine ${window.machine_busy_cores.toFixed(2)}/${window.cores}`,
  ].join(' · ');
  const others = window.machine_busy_cores - procs.reduce((sum, [, p]) => sum + p.cpu_cores, 0);
  // Load from outside the bench makes the figures of this window suspect.
  const warn = others >= OTHERS_WARN ? ` [others ${others.toFixed(2)} cores: not the bench]` : '';
  const busiest = [...procs].sort((a, b) => b[1].main_cpu_cores - a[1].main_cpu_cores)[0]?.[0] ?? '?';
  if (window.cores > 0 && window.machine_busy_cores >= MACHINE_SATURATED * window.cores) return { verdict: `machine (busiest: ${busiest})${warn}`, detail };
  const hot = procs.filter(([, p]) => p.main_cpu_cores >= LOOP_SATURATED).map(([name]) => name);
  return { verdict: `${hot.length > 0 ? hot.join(' + ') : 'none'}${warn}`, detail };
}
