/**
 * Where in time the latency goes: `sessions` WebSockets to a gateway (or
 * relay), once all are open, each run one `ticks` turn at once (as the bench's
 * latency workload does); prints the p50/p99 and agent-emit → client-receive
 * latency per 100 ms of emit time from that start (count, p50, max). Shows a start-up burst
 * apart from steady-state delays. Loopback only; bounded by `duration_ms`.
 *
 *   node --import tsx src/diagnostics/latency-timeline.ts ws://127.0.0.1:PORT [sessions=100] [duration_ms=3000]
 */
import WebSocket from 'ws';
import { epochNow } from '../clock.ts';
import { summarize } from '../stats.ts';

const [url, sessionsArg, durationArg] = process.argv.slice(2);
if (!url?.startsWith('ws://127.') && !url?.startsWith('ws://localhost')) {
  process.stderr.write('usage: latency-timeline ws://127.0.0.1:PORT [sessions] [duration_ms] (loopback only)\n');
  process.exit(2);
}
const sessions = Number(sessionsArg ?? 100);
const durationMs = Number(durationArg ?? 3000);
const samples: { emitted: number; latency: number }[] = [];
let start = epochNow();

await new Promise<void>((resolve, reject) => {
  let done = 0;
  let started = 0;
  const timer = setTimeout(() => reject(new Error('not done in time')), durationMs + 30_000);
  const sockets: WebSocket[] = [];
  // As the bench does: every session open first, then every turn at once.
  const go = () => {
    start = epochNow();
    const message = JSON.stringify({ type: 'user_message', content: 'timeline', request_id: 'r', metadata: { scenario: { name: 'ticks', interval_ms: 20, duration_ms: durationMs } } });
    for (const ws of sockets) ws.send(message);
  };
  for (let i = 0; i < sessions; i++) {
    const ws = new WebSocket(`${url}/ws/timeline-${process.pid}-${i}`, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('error', reject);
    ws.on('message', (data) => {
      const receivedAt = epochNow();
      const frame = JSON.parse(String(data)) as { type: string; emitted_at?: number };
      if (frame.type === 'session_started') {
        if (++started === sessions) go();
      } else if (frame.type === 'tick' && frame.emitted_at !== undefined) {
        samples.push({ emitted: frame.emitted_at - start, latency: receivedAt - frame.emitted_at });
      } else if (frame.type === 'done' || frame.type === 'error') {
        ws.close();
        if (++done === sessions) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  }
});

const buckets = new Map<number, number[]>();
for (const { emitted, latency } of samples) {
  const bucket = Math.floor(emitted / 100) * 100;
  const list = buckets.get(bucket) ?? [];
  list.push(latency);
  buckets.set(bucket, list);
}
const all = summarize(samples.map((s) => s.latency));
const steady = summarize(samples.filter((s) => s.emitted >= 500).map((s) => s.latency));
process.stdout.write(`${samples.length} events: p50 ${all.p50.toFixed(2)} ms, p99 ${all.p99.toFixed(2)} ms; emitted from 500 ms on: p99 ${steady.p99.toFixed(2)} ms\n`);
process.stdout.write('emit ms   events   p50 ms   max ms\n');
for (const [bucket, list] of [...buckets].sort((a, b) => a[0] - b[0])) {
  list.sort((a, b) => a - b);
  process.stdout.write(`${String(bucket).padStart(7)} ${String(list.length).padStart(8)} ${list[Math.floor(list.length / 2)]!.toFixed(1).padStart(8)} ${list[list.length - 1]!.toFixed(1).padStart(8)}\n`);
}
