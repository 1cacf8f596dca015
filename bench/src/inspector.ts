import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

/** A session with a process's V8 inspector (`--inspect`, Node or Deno): Chrome DevTools Protocol calls. */
export interface InspectorSession {
  call(method: string, params?: object): Promise<unknown>;
  close(): void;
}

/** Connects to the first target of the inspector at `inspectUrl` (`http://host:port`), retrying while it starts. */
export async function connectInspector(inspectUrl: string, timeoutMs = 10_000): Promise<InspectorSession> {
  const deadline = AbortSignal.timeout(timeoutMs);
  let target: { webSocketDebuggerUrl?: string } | undefined;
  for (let attempt = 0; attempt < 50 && target?.webSocketDebuggerUrl === undefined; attempt++) {
    try {
      const res = await fetch(`${inspectUrl}/json/list`, { signal: deadline });
      target = ((await res.json()) as { webSocketDebuggerUrl?: string }[])[0];
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (target?.webSocketDebuggerUrl === undefined) throw new Error(`no inspector target at ${inspectUrl}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message?: string } };
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(`inspector: ${message.error.message ?? 'error'}`));
    else waiter?.resolve(message.result);
  });
  return {
    call: (method, params = {}) =>
      new Promise<unknown>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`inspector ${method}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (result) => (clearTimeout(timer), resolve(result)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/**
 * A CPU profile of a process with a V8 inspector (Deno's `--inspect`), in
 * the `.cpuprofile` format `node --cpu-prof` writes: Profiler.start now,
 * Profiler.stop when `stop(file)` is called.
 */
export async function startInspectorProfile(inspectUrl: string, timeoutMs = 10_000): Promise<{ stop(file: string): Promise<void> }> {
  const session = await connectInspector(inspectUrl, timeoutMs);
  await session.call('Profiler.enable');
  await session.call('Profiler.setSamplingInterval', { interval: 1000 });
  await session.call('Profiler.start');
  return {
    async stop(file) {
      const result = (await session.call('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(result.profile));
      session.close();
    },
  };
}

/**
 * A full garbage collection in the process: HeapProfiler.collectGarbage,
 * what DevTools' "collect garbage" button sends. Resolves once V8 has run
 * it, with the bytes of JS heap in use after it.
 */
export async function collectGarbage(inspectUrl: string, timeoutMs = 30_000): Promise<{ heapUsed: number }> {
  const session = await connectInspector(inspectUrl, timeoutMs);
  try {
    await session.call('HeapProfiler.collectGarbage');
    const usage = (await session.call('Runtime.getHeapUsage')) as { usedSize: number };
    return { heapUsed: usage.usedSize };
  } finally {
    session.close();
  }
}
