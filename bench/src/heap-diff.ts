/**
 * Compares two V8 heap snapshots (e.g. a gateway before and after opening N
 * idle sockets: `node --heapsnapshot-signal=SIGUSR2`, or Deno's inspector)
 * and prints what grew, by constructor: count and self size, per `--per N`.
 *
 *   node --import tsx src/heap-diff.ts before.heapsnapshot after.heapsnapshot [--per 1000] [--top 40]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function aggregate(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : `(${type})`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

const args = process.argv.slice(2);
const [before, after] = args.filter((a) => !a.startsWith('--') && !/^\d+$/.test(a));
if (!before || !after) {
  process.stderr.write('usage: heap-diff <before.heapsnapshot> <after.heapsnapshot> [--per N] [--top 40]\n');
  process.exit(2);
}
const per = Number(args[args.indexOf('--per') + 1]) || 1;
const top = Number(args[args.indexOf('--top') + 1]) || 40;
const a = aggregate(before);
const b = aggregate(after);
const rows: [string, number, number][] = [];
let total = 0;
for (const [key, { count, size }] of b) {
  const prev = a.get(key) ?? { count: 0, size: 0 };
  rows.push([key, (count - prev.count) / per, (size - prev.size) / per]);
  total += size - prev.size;
}
rows.sort((x, y) => y[2] - x[2]);
process.stdout.write(`JS heap growth: ${(total / per).toFixed(0)} bytes per unit (--per ${per})\n  bytes/unit  count/unit  what\n`);
for (const [key, count, size] of rows.slice(0, top)) process.stdout.write(`${size.toFixed(0).padStart(11)} ${count.toFixed(2).padStart(11)}  ${key}\n`);
