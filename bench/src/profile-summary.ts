/**
 * Summarizes a V8 `.cpuprofile` (node --cpu-prof, or the Deno inspector's
 * Profiler.stop): self time by function and by file, and total (inclusive)
 * time of the functions under which the most time was spent.
 *
 *   node --import tsx src/profile-summary.ts results/profiles/<file>.cpuprofile [--top 30] [--filter text]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: profile-summary <file.cpuprofile> [--top N] [--filter text]\n');
  process.exit(2);
}
const top = Number(args[args.indexOf('--top') + 1]) || 30;
const filterIndex = args.indexOf('--filter');
const filter = filterIndex >= 0 ? args[filterIndex + 1] : undefined;

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples and their time deltas (µs).
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string) => url.replace(/^file:\/\//, '').replace(/.*\/node_modules\/\.pnpm\/([^/]+)\/node_modules\//, '$1:').replace(/.*\/(apps|packages|bench)\//, '$1/');
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileOf = (n: Node) => shortUrl(n.callFrame.url) || `(${n.callFrame.functionName})`;

const selfByFn = new Map<string, number>();
const selfByFile = new Map<string, number>();
const totalByFn = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
  selfByFile.set(fileOf(n), (selfByFile.get(fileOf(n)) ?? 0) + us);
  // Inclusive: each distinct function on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(byId.get(cur)!);
    if (seen.has(key)) continue;
    seen.add(key);
    totalByFn.set(key, (totalByFn.get(key) ?? 0) + us);
  }
}

/** Coarse buckets of self time, to see what a turn or a token costs by layer. */
const CATEGORIES: [string, RegExp][] = [
  ['idle', /\(idle\)/],
  ['syscall writev (includes time preempted by the peer it wakes)', /\(writev\)/],
  ['garbage collector', /garbage collector/],
  ['V8 (program): native code outside JS', /\(program\)/],
  ['start-up: module loading (tsx, esm, cjs)', /modules\/|tsx@|cjs-module-lexer|bootstrap\/realm|^\(compile|\(openFileHandle\)|\(read\)$|\(fstat\)|worker\/io|esm\//],
  ['fetch: undici, web streams, AbortSignal, EventTarget', /undici|webstreams|js_transferable|abort_controller|event_target|wasm:\/\//],
  ['ws (WebSocket frames)', /ws@/],
  ['hono, @hono/node-server', /hono/],
  ['validation: zod, protocol parse', /zod@|packages\/protocol/],
  ['SSE parsing: eventsource-parser, TextDecoder', /eventsource-parser|encoding|\(decode\)/],
  ['logging, metrics', /logtape|prom-client/],
  ['gateway code (apps/gateway/src)', /apps\/gateway/],
  ['node streams, net, events, timers, microtasks', /node:internal\/streams|node:net|node:events|node:internal\/timers|task_queues|runMicrotasks|stream_base_commons|node:buffer|node:internal\/buffer/],
  ['other native (JSON.parse, string ops…) called from JS', /^\(/],
];
const selfByCategory = new Map<string, number>();
for (const [file, us] of selfByFile) {
  const name = CATEGORIES.find(([, re]) => re.test(file))?.[0] ?? 'other';
  selfByCategory.set(name, (selfByCategory.get(name) ?? 0) + us);
}

const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  const rows = [...map].filter(([k]) => !filter || k.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, us] of rows) process.stdout.write(`${ms(us)} ${pct(us)}  ${k}\n`);
};
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(2)} s sampled\n`);
print('self time by layer', selfByCategory);
print('self time by file', selfByFile);
print('self time by function', selfByFn);
print('total time by function (inclusive)', totalByFn);
