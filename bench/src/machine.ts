import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { denoBinary } from './servers.ts';

export interface Machine {
  cores: number;
  cpu_model: string;
  memory_gib: number;
  kernel: string;
  node: string;
  deno: string | undefined;
  nofile_soft_in_children: number;
}

const sh = (script: string): string => {
  try {
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

/** What the figures were measured on (docs/performance.md describes it the same way). */
export function describeMachine(nofile: number): Machine {
  const deno = denoBinary();
  return {
    cores: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    deno: deno ? sh(`"${deno}" --version | head -1`) || undefined : undefined,
    nofile_soft_in_children: Number(sh(`ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n`)) || 0,
  };
}
