import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientMessage, Job } from './jobs.ts';
import type { Scenario } from './scenario.ts';
import { tokenText } from './token-text.ts';

type Fault = 'none' | 'drop-first-token' | 'late-done' | 'close-second-turn';

/**
 * A relay that answers every `user_message` itself, as the gateway would
 * relay the bench agent's `tokens` scenario, with one fault: the very first
 * turn (the warm-up's) loses a token, every turn gets a second `done`
 * 30 ms after its first, or the second turn's socket is closed with 1011.
 */
async function startRelay(fault: Fault) {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  let turns = 0;
  wss.on('connection', (ws: WebSocket) => {
    let seq = 0;
    const send = (frame: object) => ws.send(JSON.stringify({ ...frame, seq: ++seq }));
    send({ type: 'session_started', session_id: 's', protocol_version: 1 });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { request_id: string; metadata: { scenario: Scenario } };
      const scenario = frame.metadata.scenario;
      if (scenario.name !== 'tokens') throw new Error('tokens only');
      const first = turns++ === 0;
      if (fault === 'close-second-turn' && turns === 2) return ws.close(1011, 'gone');
      for (let i = 0; i < scenario.count; i++) {
        if (fault === 'drop-first-token' && first && i === 1) continue;
        send({ type: 'token', content: tokenText(i, scenario.size), request_id: frame.request_id });
      }
      const done = { type: 'done', finish_reason: 'stop', request_id: frame.request_id };
      send(done);
      if (fault === 'late-done') setTimeout(() => ws.readyState === ws.OPEN && send(done), 30);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.close();
      await once(server, 'close');
    },
  };
}

const benchDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs the load client on `job`, says `go`, and returns what it printed, in order. */
async function runClient(job: Job): Promise<ClientMessage[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/load-client.ts', JSON.stringify(job)], { cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] });
  // Also when the test times out before its `finally`.
  onTestFinished(() => void child.kill());
  try {
    const messages: ClientMessage[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      const message = JSON.parse(line) as ClientMessage;
      messages.push(message);
      if (message.event === 'ready') child.stdin!.write('go\n');
      if (message.event === 'result' || message.event === 'fatal') break;
    }
    return messages;
  } finally {
    child.kill();
  }
}

const turnsJob = (url: string, graceMs: number): Job => ({
  kind: 'turns',
  url,
  target: 'ws',
  label: 'test',
  warmup: true,
  graceMs,
  timeoutMs: 20_000,
  sessions: 2,
  turns: 3,
  tokens: 5,
  size: 4,
});

const resultOf = (messages: ClientMessage[]) => {
  const last = messages.at(-1);
  if (last?.event !== 'result') throw new Error(`no result: ${JSON.stringify(last)}`);
  return last.result;
};

describe('load client', () => {
  it('a faultless relay: no wrong answers, and the measured window ends before the result', async () => {
    const relay = await startRelay('none');
    try {
      const messages = await runClient(turnsJob(relay.url, 100));
      expect(messages.map((m) => m.event)).toEqual(['ready', 'measured', 'result']);
      expect(resultOf(messages)).toMatchObject({ kind: 'turns', turns: 6, failures: 0 });
    } finally {
      await relay.close();
    }
  });

  it('counts a wrong answer in the warm-up pass', async () => {
    const relay = await startRelay('drop-first-token');
    try {
      const result = resultOf(await runClient(turnsJob(relay.url, 100)));
      expect(result.failures).toBe(1);
      expect(result.failure_samples[0]).toMatch(/^warm-up: .*content differs/);
    } finally {
      await relay.close();
    }
  });

  it('ends a turn whose socket closes at once, as a wrong answer (not at its timeout)', async () => {
    const relay = await startRelay('close-second-turn');
    try {
      const result = resultOf(await runClient({ ...turnsJob(relay.url, 100), timeoutMs: 60_000 }));
      expect(result.failure_samples.join('\n')).toContain('the socket closed (1011 gone) before the terminal frame');
    } finally {
      await relay.close();
    }
  });

  it('counts a frame that comes after the last terminal frame of a session, within the grace', async () => {
    const relay = await startRelay('late-done');
    try {
      const result = resultOf(await runClient(turnsJob(relay.url, 500)));
      // Every turn's second `done`, the warm-up's 6 turns included; the last of each session is seen in the grace only.
      expect(result.failures).toBe(12);
      expect(result.failure_samples.join('\n')).toMatch(/a done frame outside a turn|after the terminal frame/);
    } finally {
      await relay.close();
    }
  });
});
