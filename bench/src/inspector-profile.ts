import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

/**
 * A CPU profile of a process with a V8 inspector (Deno's `--inspect`), in
 * the `.cpuprofile` format `node --cpu-prof` writes: Profiler.start now,
 * Profiler.stop when `stop(file)` is called.
 */
export async function startInspectorProfile(inspectUrl: string, timeoutMs = 10_000): Promise<{ stop(file: string): Promise<void> }> {
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
  const pending = new Map<number, (result: unknown) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`inspector ${method}: no answer`)), timeoutMs);
      pending.set(id, (result) => (clearTimeout(timer), resolve(result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 1000 });
  await call('Profiler.start');
  return {
    async stop(file) {
      const result = (await call('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(result.profile));
      socket.close();
    },
  };
}
