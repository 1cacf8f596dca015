/**
 * Where the RSS of idle sockets lives, on Node: for each server in turn (a
 * gateway or BARE), opens `sockets` idle WebSockets through the bench's load
 * client and prints, per socket, what grew between a full collection before
 * they opened and one while they are held: RSS, the JS heap (used and
 * physical, by space), and the process's resident mappings by kind
 * (`/proc/<pid>/smaps`: `[heap]` is malloc's main arena; `anon` holds V8's
 * pages, other threads' malloc arenas and the rest). A V8 page is 256 KiB,
 * so `anon` is also split into mappings of a multiple of that and others.
 * Loopback only; one server at a time.
 *
 *   node --import tsx src/diagnostics/idle-memory.ts [node,bare-node,…] [sockets=10000]
 */
import { readFileSync } from 'node:fs';
import { collectGarbage, connectInspector } from '../inspector.ts';
import { startAgent, startBare, startGateway, type Server } from '../servers.ts';
import { holdIdleSockets } from './idle-sockets.ts';

const [kindsArg = 'node,bare-node', socketsArg = '10000'] = process.argv.slice(2);
const kinds = kindsArg.split(',');
const sockets = Number(socketsArg);
if (!kinds.every((k) => k === 'node' || k === 'bare-node') || !(sockets > 0 && sockets <= 50_000)) {
  process.stderr.write('usage: idle-memory [node|bare-node, comma-separated] [sockets 1-50000]\n');
  process.exit(2);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reading {
  rss: number;
  heapUsed: number;
  heapPhysical: number;
  spaces: Record<string, { used: number; physical: number }>;
  mappings: Record<string, number>;
}

/** Resident bytes by mapping kind. */
function residentByKind(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[3]!;
      const kib = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024;
      kind = name === '' ? (kib % 256 === 0 ? 'anon (256 KiB multiples)' : 'anon (other)') : name.startsWith('[') ? name : 'files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) * 1024;
  }
  return out;
}

async function read(server: Server): Promise<Reading> {
  await collectGarbage(server.inspectUrl!);
  await sleep(300);
  const session = await connectInspector(server.inspectUrl!);
  try {
    const expression = `JSON.stringify({ rss: process.memoryUsage().rss, heap: process.getBuiltinModule('v8').getHeapStatistics(), spaces: process.getBuiltinModule('v8').getHeapSpaceStatistics() })`;
    const { result } = (await session.call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: string } };
    const v = JSON.parse(result.value) as {
      rss: number;
      heap: { used_heap_size: number; total_physical_size: number };
      spaces: { space_name: string; space_used_size: number; physical_space_size: number }[];
    };
    return {
      rss: v.rss,
      heapUsed: v.heap.used_heap_size,
      heapPhysical: v.heap.total_physical_size,
      spaces: Object.fromEntries(v.spaces.map((s) => [s.space_name, { used: s.space_used_size, physical: s.physical_space_size }])),
      mappings: residentByKind(server.proc.pid),
    };
  } finally {
    session.close();
  }
}

const agent = await startAgent('stub');
try {
  for (const kind of kinds) {
    const isGateway = kind === 'node';
    const server = isGateway ? await startGateway('node', { agentUrl: agent.url, inspect: true }) : await startBare('node', { inspect: true });
    try {
      await sleep(1000);
      const before = await read(server);
      const idle = await holdIdleSockets(server, { sockets, label: `idle-memory-${kind}`, gateway: isGateway, timeoutMs: 180_000 });
      try {
        const { opened } = idle;
        await sleep(3000);
        const held = await read(server);
        const per = (a: number | undefined, b: number | undefined) => (((b ?? 0) - (a ?? 0)) / opened.opened).toFixed(0).padStart(6);
        process.stdout.write(`${kind}: ${opened.opened} sockets held; bytes per socket after a full collection, held minus before\n`);
        process.stdout.write(`  RSS ${per(before.rss, held.rss)}   JS heap used ${per(before.heapUsed, held.heapUsed)}   JS heap physical ${per(before.heapPhysical, held.heapPhysical)}\n`);
        for (const name of Object.keys(held.spaces)) {
          const d = per(before.spaces[name]?.physical, held.spaces[name]!.physical);
          if (d.trim() !== '0' && d.trim() !== '-0') process.stdout.write(`    ${name.padEnd(24)} physical ${d}   used ${per(before.spaces[name]?.used, held.spaces[name]!.used)}\n`);
        }
        for (const name of new Set([...Object.keys(before.mappings), ...Object.keys(held.mappings)])) {
          const d = per(before.mappings[name], held.mappings[name]);
          if (d.trim() !== '0' && d.trim() !== '-0') process.stdout.write(`    resident ${name.padEnd(26)} ${d}\n`);
        }
      } finally {
        await idle.release();
      }
    } finally {
      await server.stop();
    }
  }
} finally {
  await agent.stop();
}
