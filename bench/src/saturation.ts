import type { WindowStats } from './proc-stats.ts';

/** A JavaScript event loop at this share of a core or more is the bottleneck. */
const LOOP_SATURATED = 0.85;
/** The machine is the bottleneck when this share of its cores is busy. */
const MACHINE_SATURATED = 0.9;
/** CPU of processes the bench did not start, above which a window is flagged. */
const OTHERS_WARN = 0.25;
/** /proc counts CPU time in ticks of 10 ms: over a short window each share is this rough. */
const TICK_S = 0.01;
/** Below this window, the verdict says how rough its shares are. */
const SHORT_WINDOW_S = 1;

/**
 * Which process saturated over a measured window: the machine when its cores
 * are (nearly) all busy, else each process whose main thread (the event loop,
 * /proc/<pid>/task/<pid>/stat) was busy nearly all the time. Else, for a
 * workload that runs as fast as it can (`paced` false), the busiest event
 * loop, with its share: something bounded it, and no process was at a full
 * core; for a paced one (latency, idle), none.
 * `suspect`: processes the bench did not start used enough CPU to move the
 * window's figures.
 */
export function saturation(window: WindowStats, paced: boolean): { verdict: string; detail: string; suspect: boolean } {
  const procs = Object.entries(window.processes);
  const others = Math.max(0, window.machine_busy_cores - procs.reduce((sum, [, p]) => sum + p.cpu_cores, 0));
  const detail = [
    ...procs.map(([name, p]) => `${name} ${p.cpu_cores.toFixed(2)} (loop ${p.main_cpu_cores.toFixed(2)})`),
    `others ${others.toFixed(2)}`,
    `machine ${window.machine_busy_cores.toFixed(2)}/${window.cores}`,
  ].join(' · ');
  const suspect = others >= OTHERS_WARN;
  const notes = [
    ...(suspect ? [`others ${others.toFixed(2)} cores: not the bench`] : []),
    ...(window.wall_s > 0 && window.wall_s < SHORT_WINDOW_S ? [`${window.wall_s.toFixed(2)} s window: shares ±${(TICK_S / window.wall_s).toFixed(2)}`] : []),
  ];
  const tail = notes.length > 0 ? ` [${notes.join('; ')}]` : '';
  const [busiest, top] = [...procs].sort((a, b) => b[1].main_cpu_cores - a[1].main_cpu_cores)[0] ?? ['?', undefined];
  if (window.cores > 0 && window.machine_busy_cores >= MACHINE_SATURATED * window.cores) return { verdict: `machine (busiest: ${busiest})${tail}`, detail, suspect };
  const hot = procs.filter(([, p]) => p.main_cpu_cores >= LOOP_SATURATED).map(([name]) => name);
  if (hot.length > 0) return { verdict: `${hot.join(' + ')}${tail}`, detail, suspect };
  if (paced || top === undefined) return { verdict: `none${tail}`, detail, suspect };
  return { verdict: `${busiest}, loop ${top.main_cpu_cores.toFixed(2)} (none at a full core)${tail}`, detail, suspect };
}
