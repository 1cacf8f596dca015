/**
 * A fast agent emulator for the benchmark, one process serving DIRECT and
 * every gateway alike. It speaks the mock agent's scenario language
 * (`tokens`, `ticks` in `message.metadata.scenario`) and its `/_mock/connections`
 * and `/_mock/reset` routes, but writes token streams in large chunks with
 * Node's own backpressure (`write()` → `drain`) instead of one awaited chunk
 * per event, so the agent is not what limits the stream workload.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochNow } from './clock.ts';
import { tokenText } from './token-text.ts';

const EVENTS_PER_CHUNK = 256;
const MAX_BODY_BYTES = 1 << 20;
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const DONE = Buffer.from('data: {"type":"done","finish_reason":"stop"}\n\n');

let total = 0;
let open = 0;
const chunkCache = new Map<string, Buffer[]>();

/** The `tokens` stream as chunks of `EVENTS_PER_CHUNK` events, built once per shape. */
function tokenChunks(count: number, size: number): Buffer[] {
  const key = `${count}:${size}`;
  let chunks = chunkCache.get(key);
  if (chunks === undefined) {
    chunks = [];
    for (let start = 0; start < count; start += EVENTS_PER_CHUNK) {
      let text = '';
      for (let i = start; i < Math.min(count, start + EVENTS_PER_CHUNK); i++) {
        text += `data: {"type":"token","content":${JSON.stringify(tokenText(i, size))}}\n\n`;
      }
      chunks.push(Buffer.from(text));
    }
    if (chunkCache.size > 16) chunkCache.clear();
    chunkCache.set(key, chunks);
  }
  return chunks;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** Resolves true when `res` can take more, false when the client went away first. */
const drained = (res: ServerResponse): Promise<boolean> =>
  new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });

async function streamTokens(res: ServerResponse, count: number, size: number, delayMs: number): Promise<void> {
  res.writeHead(200, SSE_HEADERS);
  if (delayMs > 0) {
    // Paced: one event per write (only for trying things out; the workloads use 0).
    for (let i = 0; i < count && !res.destroyed; i++) {
      res.write(`data: {"type":"token","content":${JSON.stringify(tokenText(i, size))}}\n\n`);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  } else {
    for (const chunk of tokenChunks(count, size)) {
      if (res.destroyed) return;
      if (!res.write(chunk) && !(await drained(res))) return;
    }
  }
  if (!res.destroyed) res.end(DONE);
}

function streamTicks(res: ServerResponse, intervalMs: number, durationMs: number): void {
  res.writeHead(200, SSE_HEADERS);
  const count = Math.floor(durationMs / intervalMs);
  const start = epochNow();
  let n = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    timer = undefined;
    if (res.destroyed) return;
    if (n >= count) {
      res.end(DONE);
      return;
    }
    // `emitted_at` is read just before the write, as the mock agent's `ticks` does;
    // `stamp` lets the client check that it arrives as emitted (turn-check.ts).
    const emittedAt = epochNow();
    res.write(`data: {"type":"tick","n":${n},"emitted_at":${emittedAt},"stamp":"${n}:${emittedAt}"}\n\n`);
    n++;
    // Scheduled from the start, so delays do not add up.
    timer = setTimeout(tick, Math.max(0, start + n * intervalMs - epochNow()));
  };
  res.on('close', () => timer !== undefined && clearTimeout(timer));
  tick();
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BODY_BYTES) parts.push(chunk);
    });
    req.on('end', () => resolve(bytes <= MAX_BODY_BYTES ? Buffer.concat(parts).toString('utf8') : undefined));
    req.on('error', () => resolve(undefined));
  });
}

type Params = Record<string, unknown>;
const int = (p: Params, key: string, fallback: number, max: number): number | undefined => {
  const value = p[key] ?? fallback;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max ? value : undefined;
};

async function agentStream(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  let body: { message?: { metadata?: { scenario?: Params } } } | undefined;
  try {
    body = text === undefined ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const scenario = body?.message?.metadata?.scenario;
  if (scenario?.name === 'tokens') {
    const count = int(scenario, 'count', 5, 1_000_000);
    const size = int(scenario, 'size', 4, 64);
    const delay = int(scenario, 'delay_ms', 0, 10_000);
    if (count !== undefined && size !== undefined && size >= 1 && delay !== undefined) return streamTokens(res, count, size, delay);
  } else if (scenario?.name === 'ticks') {
    const interval = int(scenario, 'interval_ms', 20, 60_000);
    const duration = int(scenario, 'duration_ms', 4000, 600_000);
    if (interval !== undefined && interval > 0 && duration !== undefined) return streamTicks(res, interval, duration);
  }
  json(res, 422, { error: 'invalid_request', message: 'the bench agent knows the scenarios tokens {count,size,delay_ms} and ticks {interval_ms,duration_ms}' });
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const path = req.url ?? '/';
  if (req.method === 'POST' && path === '/agent/message/stream') {
    agentStream(req, res).catch(() => res.destroy());
  } else if (req.method === 'GET' && path === '/health') {
    json(res, 200, { status: 'ok' });
  } else if (req.method === 'GET' && path === '/_mock/connections') {
    json(res, 200, { total, open });
  } else if (req.method === 'POST' && path === '/_mock/reset') {
    total = 0;
    json(res, 200, { status: 'ok' });
  } else {
    json(res, 404, { error: 'not_found' });
  }
});
server.on('connection', (socket) => {
  total++;
  open++;
  socket.once('close', () => open--);
});

const port = Number(process.env.BENCH_AGENT__PORT ?? 0);
server.listen(port, '127.0.0.1', () => {
  const { port: real } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${real}`, agent: 'bench-stub' })}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
