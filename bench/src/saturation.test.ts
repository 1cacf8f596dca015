import { describe, expect, it } from 'vitest';
import type { WindowStats } from './proc-stats.ts';
import { saturation } from './saturation.ts';

const window = (loops: Record<string, number>, machine: number, wallS = 4): WindowStats =>
  ({
    wall_s: wallS,
    cores: 2,
    machine_busy_cores: machine,
    processes: Object.fromEntries(Object.entries(loops).map(([name, loop]) => [name, { cpu_cores: loop + 0.1, main_cpu_cores: loop }])),
  }) as unknown as WindowStats;

describe('saturation', () => {
  it('names the machine when its cores are busy, else each event loop at a full core', () => {
    expect(saturation(window({ gateway: 0.9, client: 0.7 }, 1.85), false).verdict).toBe('machine (busiest: gateway)');
    expect(saturation(window({ gateway: 0.9, client: 0.3 }, 1.4), false).verdict).toBe('gateway');
  });

  it('a workload that runs as fast as it can names its busiest loop; a paced one, none', () => {
    const w = window({ gateway: 0.74, client: 0.2, agent: 0.1 }, 1.34);
    expect(saturation(w, false).verdict).toBe('gateway, loop 0.74 (none at a full core)');
    expect(saturation(w, true).verdict).toBe('none');
  });

  it('flags outside load as suspect, and says how rough a short window is', () => {
    const busy = saturation(window({ gateway: 0.3 }, 1.0), true);
    expect(busy.suspect).toBe(true);
    expect(busy.verdict).toBe('none [others 0.60 cores: not the bench]');
    const short = saturation(window({ gateway: 0.5 }, 0.6, 0.2), false);
    expect(short.suspect).toBe(false);
    expect(short.verdict).toBe('gateway, loop 0.50 (none at a full core) [0.20 s window: shares ±0.05]');
  });
});
