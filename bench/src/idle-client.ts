import WebSocket from 'ws';
import type { ClientMessage, IdleOpened, Job } from './jobs.ts';
import { round } from './stats.ts';
import { Failures } from './turn-check.ts';

type IdleJob = Extract<Job, { kind: 'idle' }>;
const OPEN_TIMEOUT_MS = 15_000;

/**
 * Opens `sockets` WebSockets, `concurrency` at a time, and holds them until
 * the orchestrator has measured the server (`release`). A gateway socket
 * counts as open at its `session_started` frame, a bare one at the upgrade.
 */
export async function runIdle(job: IdleJob, say: (m: ClientMessage) => void, command: (name: string, timeoutMs: number) => Promise<void>): Promise<void> {
  const failures = new Failures();
  const open: WebSocket[] = [];
  let refused = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const note = (message: string) => {
    if (errorSamples.length < 5) errorSamples.push(message);
  };

  const openOne = (i: number) =>
    new Promise<void>((resolve) => {
      const sessionId = `idle-${process.pid}-${i}`;
      const socket = new WebSocket(`${job.url}${job.gateway ? '/ws/' : '/'}${sessionId}`, { perMessageDeflate: false });
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) open.push(socket);
        resolve();
      };
      const timer = setTimeout(() => {
        errors++;
        note(`${sessionId}: not open within ${OPEN_TIMEOUT_MS} ms`);
        socket.terminate();
        settle(false);
      }, OPEN_TIMEOUT_MS);
      socket.on('unexpected-response', (_req, res) => {
        refused++;
        note(`${sessionId}: refused with ${res.statusCode}`);
        socket.terminate();
        settle(false);
      });
      socket.on('error', (error) => {
        if (!settled) {
          errors++;
          note(`${sessionId}: ${error.message}`);
          settle(false);
        }
      });
      let seq = 0;
      socket.on('message', (data) => {
        seq++;
        let frame: Record<string, unknown> | undefined;
        try {
          frame = JSON.parse(String(data)) as Record<string, unknown>;
        } catch {
          frame = undefined;
        }
        if (seq === 1 && frame?.type === 'session_started' && frame.seq === 1) return settle(true);
        failures.add(`${sessionId}: unexpected frame ${String(data).slice(0, 120)}`);
      });
      if (!job.gateway) socket.once('open', () => settle(true));
    });

  say({ event: 'ready' });
  await command('go', job.timeoutMs);
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(job.concurrency, job.sockets) }, async () => {
      while (next < job.sockets) await openOne(next++);
    }),
  );
  const opened: IdleOpened = {
    requested: job.sockets,
    opened: open.length,
    refused,
    errors,
    open_ms: round(performance.now() - start),
    error_samples: errorSamples,
  };
  say({ event: 'opened', opened });
  await command('release', job.timeoutMs).catch(() => undefined);

  let stillOpen = 0;
  for (const socket of open) if (socket.readyState === WebSocket.OPEN) stillOpen++;
  if (stillOpen !== open.length) failures.add(`${open.length - stillOpen} sockets closed while held`);
  await Promise.all(
    open.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => (socket.terminate(), resolve()), 5000);
          socket.once('close', () => (clearTimeout(timer), resolve()));
          socket.close(1000);
        }),
    ),
  );
  say({ event: 'result', result: { kind: 'idle', opened, still_open: stillOpen, failures: failures.count, failure_samples: failures.messages } });
}
