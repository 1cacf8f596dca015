import type { Job } from '../jobs.ts';
import { spawnProcess } from '../processes.ts';
import { benchDir, NOFILE, type Server } from '../servers.ts';

export interface HeldSockets {
  opened: { opened: number; open_ms: number };
  /** Closes the sockets and stops the client. */
  release(): Promise<void>;
}

/**
 * Opens `sockets` idle WebSockets to `server` through the bench's load client
 * (200 handshakes at a time, as the idle workload does) and holds them until
 * `release`. For the diagnostics; the client stops itself after `timeoutMs`.
 */
export async function holdIdleSockets(server: Server, opts: { sockets: number; label: string; gateway: boolean; timeoutMs: number }): Promise<HeldSockets> {
  const job: Job = {
    kind: 'idle',
    target: 'ws',
    url: server.url.replace(/^http/, 'ws'),
    label: opts.label,
    warmup: false,
    graceMs: 0,
    timeoutMs: opts.timeoutMs,
    sockets: opts.sockets,
    concurrency: 200,
    gateway: opts.gateway,
  };
  const client = spawnProcess({ name: 'client', command: process.execPath, args: ['--import', 'tsx', 'src/load-client.ts', JSON.stringify(job)], cwd: benchDir, stdin: true, nofile: NOFILE });
  const release = async () => {
    if (client.child.stdin!.writable) client.child.stdin!.write('release\n');
    client.child.stdin!.end();
    await client.stop(20_000);
  };
  try {
    await client.waitForLine((l) => l.event === 'ready', 60_000);
    client.child.stdin!.write('go\n');
    const { opened } = await client.waitForLine<{ opened: HeldSockets['opened'] }>((l) => l.event === 'opened', 120_000);
    return { opened, release };
  } catch (error) {
    await release();
    throw error;
  }
}
