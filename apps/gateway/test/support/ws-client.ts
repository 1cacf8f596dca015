import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string; seq: number };

export interface TestClient {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  sendRaw(data: string | Buffer, binary?: boolean): void;
  /** Resolves with the first frame (already received or not) after index `from` matching. */
  next(predicate: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** The terminal frame (`done` or `error`) of a turn. */
  terminal(requestId: string, timeoutMs?: number): Promise<Frame>;
  frameOf(requestId: string): Frame[];
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export const isTerminal = (f: Frame) => f.type === 'done' || f.type === 'error';

/** Opens a WebSocket and collects every frame; resolves after `session_started`. */
export async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, options);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    frames.push(JSON.parse(data.toString()) as Frame);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  ws.on('error', () => undefined);

  let closedFlag = false;
  void closed.then(() => (closedFlag = true));
  const next = (predicate: (f: Frame) => boolean, timeoutMs = 10_000) =>
    new Promise<Frame>((resolve, reject) => {
      let scanned = 0;
      const check = () => {
        let found: Frame | undefined;
        for (; scanned < frames.length && found === undefined; scanned++) if (predicate(frames[scanned]!)) found = frames[scanned];
        if (found) {
          cleanup();
          resolve(found);
        } else if (closedFlag) {
          cleanup();
          reject(new Error(`socket closed before a matching frame; frames: ${JSON.stringify(frames)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames).slice(0, 4000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const client: TestClient = {
    ws,
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendRaw: (data, binary = false) => ws.send(data, { binary }),
    next,
    terminal: (requestId, timeoutMs) => next((f) => f.request_id === requestId && isTerminal(f), timeoutMs),
    frameOf: (requestId) => frames.filter((f) => f.request_id === requestId),
    closed,
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close(1000);
      const timer = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
  await next((f) => f.type === 'session_started');
  return client;
}

/** An upgrade that is expected to be refused: its status and JSON body. */
export function refusedUpgrade(url: string, headers: Record<string, string | string[]> = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('upgrade unexpectedly accepted'));
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the test will say so
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.on('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}
