/**
 * When a server gives back the memory of a connection storm: starts a
 * server (a gateway, or BARE), opens `sockets` idle WebSockets through the
 * bench's load client, holds them for `seconds` and prints the server's RSS
 * per socket against its RSS before, every 3 s. No collection is forced:
 * what it shows is V8's own timing. Loopback only; bounded by `seconds`.
 *
 *   node --import tsx src/diagnostics/idle-timeline.ts [node|deno|bare-node|bare-deno] [seconds=40] [sockets=10000]
 */
import type { Runtime } from '../options.ts';
import { rssBytes } from '../proc-stats.ts';
import { startAgent, startBare, startGateway, type Server } from '../servers.ts';
import { holdIdleSockets } from './idle-sockets.ts';

const [kindArg = 'node', secondsArg = '40', socketsArg = '10000'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const sockets = Number(socketsArg);
if (!/^(bare-)?(node|deno)$/.test(kindArg) || !(seconds > 0 && seconds <= 600) || !(sockets > 0 && sockets <= 50_000)) {
  process.stderr.write('usage: idle-timeline [node|deno|bare-node|bare-deno] [seconds 1-600] [sockets 1-50000]\n');
  process.exit(2);
}
const isGateway = !kindArg.startsWith('bare-');
const runtime = kindArg.replace('bare-', '') as Runtime;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSocketKib = (rss: number, before: number) => ((rss - before) / sockets / 1024).toFixed(2);

const agent = await startAgent('stub');
let server: Server | undefined;
try {
  server = isGateway ? await startGateway(runtime, { agentUrl: agent.url }) : await startBare(runtime);
  await sleep(1000);
  const before = rssBytes(server.proc.pid) ?? 0;
  const held = await holdIdleSockets(server, { sockets, label: `idle-timeline-${kindArg}`, gateway: isGateway, timeoutMs: (seconds + 120) * 1000 });
  try {
    const { opened } = held;
    process.stdout.write(`${kindArg}: ${opened.opened} of ${sockets} sockets open in ${(opened.open_ms / 1000).toFixed(2)} s; RSS before ${(before / 2 ** 20).toFixed(1)} MB\n`);
    process.stdout.write('held s   RSS MB   KiB per socket (against before)\n');
    const start = performance.now();
    for (let s = 0; s <= seconds; s += 3) {
      await sleep(Math.max(0, start + s * 1000 - performance.now()));
      const rss = rssBytes(server.proc.pid) ?? 0;
      process.stdout.write(`${String(s).padStart(6)} ${(rss / 2 ** 20).toFixed(1).padStart(8)} ${perSocketKib(rss, before).padStart(8)}\n`);
    }
  } finally {
    await held.release();
  }
} finally {
  await server?.stop();
  await agent.stop();
}
