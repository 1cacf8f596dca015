import { describe, expect, it, vi } from 'vitest';
import { AgentClient } from '../agent/agent-client.ts';
import { createWebAgentFetch } from '../agent/web-agent-fetch.ts';
import { parseConfig } from '../config.ts';
import { configureLogging } from '../observability/logger.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import type { ClientSocket } from './client-socket.ts';
import { CLOSE_HANDSHAKE_TIMEOUT_MS } from './connection.ts';
import { SessionManager } from './session-manager.ts';
import { STARTS_PER_LOOP_TURN, TurnStarts } from './turn-starts.ts';

const socket = (): ClientSocket & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    send: (text) => void calls.push(`send ${JSON.parse(text).type}`),
    close: (code) => void calls.push(`close ${code}`),
    terminate: () => void calls.push('terminate'),
    bufferedAmount: 0,
  };
};

/** A manager whose agent is never reached; log lines go where `configureLogging` sends them. */
const manager = (metrics = new GatewayMetrics()) => {
  const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9', GATEWAY__LOG_LEVEL: 'error' });
  const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 1000, maxEventBytes: 1024, fetch: () => Promise.reject(new Error('no agent here')) });
  return new SessionManager({ config, agent, metrics });
};

describe('SessionManager', () => {
  it('closes with 1001 a socket that opens after shutdown began (upgraded just before it)', async () => {
    const sessions = manager();
    const shutdown = sessions.shutdown(1000);
    const raw = socket();
    const connection = sessions.open('late', raw);
    expect(raw.calls).toEqual(['send session_started', 'close 1001']);
    sessions.closed(connection, 1001, '');
    await shutdown;
  });

  it('ignores frames that come after it sent its own close (nothing may be sent then): no turn, no refusal logged or counted', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('debug', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const metrics = new GatewayMetrics();
      const sessions = manager(metrics);
      const raw = socket();
      const connection = sessions.open('after-close', raw);
      // No turn: the socket closes with 1001 at once, and the client's frames already on the way still arrive.
      const shutdown = sessions.shutdown(1000);
      expect(raw.calls).toEqual(['send session_started', 'close 1001']);
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
      sessions.message(connection, '{');
      sessions.message(connection, JSON.stringify({ type: 'ping' }));
      expect(raw.calls).toEqual(['send session_started', 'close 1001']);
      expect(lines.filter((l) => l.msg === 'turn ended' || l.msg === 'frame refused')).toEqual([]);
      const text = (await metrics.render()).body;
      expect(text).not.toMatch(/gateway_turns_total\{[^}]*\} [1-9]/);
      expect(text).not.toMatch(/gateway_errors_total\{[^}]*\} [1-9]/);
      sessions.closed(connection, 1001, '');
      await shutdown;
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  it.each([
    ['the IDE cancelled it', 'cancel', true],
    ['the socket was taken over', 'takeover', true],
    ['the socket closed, and the IDE came back at once', 'disconnect', false],
  ] as const)('a tool_result answered 2xx after its turn ended (Deno\'s abort grace) when %s (%s): marked %s (§6)', async (_case, how, marked) => {
    // The Deno transport: an answer that comes within ABORT_GRACE_MS of the abort is still reported.
    const answers: ((res: Response) => void)[] = [];
    const fetchFn = (() => new Promise<Response>((resolve) => answers.push(resolve))) as unknown as typeof fetch;
    const config = parseConfig({ GATEWAY__AGENT_URL: 'http://agent.invalid', GATEWAY__LOG_LEVEL: 'error' });
    const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1024, fetch: createWebAgentFetch(fetchFn) });
    const sessions = new SessionManager({ config, agent, metrics: new GatewayMetrics() });
    const first = sessions.open('late', socket());
    sessions.message(first, JSON.stringify({ type: 'tool_result', tool_call_id: 'tc1', result: 1, request_id: 'r1' }));
    await expect.poll(() => answers.length).toBe(1);
    const raw = socket();
    let current = first;
    if (how === 'cancel') {
      sessions.message(first, JSON.stringify({ type: 'cancel' }));
    } else {
      if (how === 'disconnect') sessions.closed(first, 1006, '');
      current = sessions.open('late', raw);
    }
    answers[0]!(new Response(new ReadableStream(), { status: 200, headers: { 'content-type': 'text/event-stream' } }));
    // The copy waits for the first request to end (§6), then is forwarded or refused as a duplicate.
    sessions.message(current, JSON.stringify({ type: 'tool_result', tool_call_id: 'tc1', result: 1, request_id: 'r2' }));
    const sent = how === 'cancel' ? (first.socket as ReturnType<typeof socket>).calls : raw.calls;
    if (marked) {
      await expect.poll(() => sent).toContain('send error');
      expect(answers).toHaveLength(1);
    } else {
      await expect.poll(() => answers.length).toBe(2);
      expect(sent).not.toContain('send error');
    }
    sessions.closed(current, 1000, '');
  });

  it('a socket whose closing handshake runs out of time at shutdown is logged and counted as closed before shutdown resolves', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('info', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    vi.useFakeTimers();
    try {
      const metrics = new GatewayMetrics();
      const sessions = manager(metrics);
      // A client that never answers the close: the runtime reports nothing until the socket is destroyed.
      const raw = socket();
      sessions.open('deaf', raw);
      let resolved = false;
      const shutdown = sessions.shutdown(0).then(() => void (resolved = true));
      expect(raw.calls).toEqual(['send session_started', 'close 1001']);
      await vi.advanceTimersByTimeAsync(CLOSE_HANDSHAKE_TIMEOUT_MS);
      await shutdown;
      expect(resolved).toBe(true);
      expect(raw.calls).toContain('terminate');
      expect(lines.find((l) => l.msg === 'connection closed')).toMatchObject({ session_id: 'deaf', code: 1001 });
      expect((await metrics.render()).body).toMatch(/gateway_open_connections 0/);
    } finally {
      vi.useRealTimers();
      configureLogging('error', () => undefined);
    }
  });

  it('waits at shutdown for a socket that opens while it waits for the others (Deno opens after the 101), and reports both closed', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('info', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    vi.useFakeTimers();
    try {
      const sessions = manager();
      sessions.open('early', socket());
      let resolved = false;
      const shutdown = sessions.shutdown(0).then(() => void (resolved = true));
      // Upgraded before shutdown began, opened now: closed with 1001 as it opens.
      const late = socket();
      sessions.open('late', late);
      expect(late.calls).toEqual(['send session_started', 'close 1001']);
      // Neither client answers its close: each is destroyed when its handshake runs out of time.
      await vi.advanceTimersByTimeAsync(CLOSE_HANDSHAKE_TIMEOUT_MS);
      await vi.advanceTimersByTimeAsync(CLOSE_HANDSHAKE_TIMEOUT_MS);
      await shutdown;
      expect(resolved).toBe(true);
      expect(late.calls).toContain('terminate');
      expect(lines.filter((l) => l.msg === 'connection closed').map((l) => l.session_id).sort()).toEqual(['early', 'late']);
    } finally {
      vi.useRealTimers();
      configureLogging('error', () => undefined);
    }
  });

  it('keeps a socket opened before shutdown open', () => {
    const sessions = manager();
    const raw = socket();
    const connection = sessions.open('early', raw);
    expect(raw.calls).toEqual(['send session_started']);
    sessions.closed(connection, 1000, '');
  });

  it('a bug of its own ends the turn with internal_error, logged at error with what was thrown, stack included', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('debug', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const config = parseConfig({ GATEWAY__AGENT_URL: 'http://127.0.0.1:9' });
      const agent = {
        async *stream() {
          throw new TypeError('cannot read properties of undefined', { cause: new RangeError('deeper') });
        },
      } as unknown as AgentClient;
      const sessions = new SessionManager({ config, agent, metrics: new GatewayMetrics() });
      const raw = socket();
      const connection = sessions.open('bug', raw);
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
      await expect.poll(() => lines.find((l) => l.msg === 'turn ended')).toBeDefined();
      expect(raw.calls).toContain('send error');
      // At debug, the turn's start as well, and the refused frame below.
      expect(lines.find((l) => l.msg === 'turn started')).toMatchObject({ level: 'debug', request_id: 'r1', queued_ms: expect.any(Number) });
      sessions.message(connection, '{');
      expect(lines.find((l) => l.msg === 'frame refused')).toMatchObject({ level: 'debug', code: 'invalid_json', session_id: 'bug' });
      expect(lines.find((l) => l.msg === 'turn ended')).toMatchObject({
        level: 'error',
        request_id: 'r1',
        error_code: 'internal_error',
        cause: { name: 'TypeError', message: 'cannot read properties of undefined', stack: expect.stringContaining('session-manager.test.ts'), cause: { name: 'RangeError', message: 'deeper' } },
      });
      sessions.closed(connection, 1000, '');
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  /** A manager over an agent that answers `deep` with a token, `event` and done, anything else with done. */
  const deepAgent = (event: string, env: Record<string, string> = {}) => {
    const body = (message: string) =>
      message === 'deep'
        ? `data: {"type":"token","content":"before"}\n\ndata: ${event}\n\ndata: {"type":"done","finish_reason":"stop"}\n\n`
        : 'data: {"type":"done","finish_reason":"stop"}\n\n';
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const content = JSON.parse(await new Response(init.body).text()).message.content as string;
      return new Response(body(content), { headers: { 'content-type': 'text/event-stream' } });
    }) as typeof fetch;
    const config = parseConfig({ GATEWAY__AGENT_URL: 'http://agent.invalid', GATEWAY__LOG_LEVEL: 'error', GATEWAY__TOKEN_BUFFER_FLUSH_MS: '0', ...env });
    const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: config.internalApiKey, streamTimeoutMs: 5000, maxEventBytes: 1 << 20, fetch: createWebAgentFetch(fetchFn) });
    const sessions = new SessionManager({ config, agent, metrics: new GatewayMetrics() });
    const texts: string[] = [];
    const raw: ClientSocket = { send: (text) => void texts.push(text), close: () => undefined, terminate: () => undefined, bufferedAmount: 0 };
    const connection = sessions.open('deep', raw);
    const frames = () => texts.map((text) => JSON.parse(text) as Record<string, unknown>);
    const turn = async (content: string, requestId: string) => {
      sessions.message(connection, JSON.stringify({ type: 'user_message', content, request_id: requestId }));
      await expect.poll(() => frames().find((f) => f.request_id === requestId && (f.type === 'error' || f.type === 'done'))).toBeDefined();
    };
    return { texts, frames, turn, close: () => sessions.closed(connection, 1000, '') };
  };

  it('relays an agent event as the agent wrote it, nested past what JSON.stringify can go, numbers digit for digit, no seq skipped (§4, §5)', async () => {
    // JSON.parse takes any depth; V8's JSON.stringify recurses and runs out of stack long before this.
    const depth = 200_000;
    const deep = `{"type":"progress","id":12345678901234567890,"seq":77,"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const agent = deepAgent(deep);
    await agent.turn('deep', 'r1');
    await agent.turn('next', 'r2');
    expect(agent.frames().map((f) => [f.seq, f.type, f.request_id ?? null])).toEqual([
      [1, 'session_started', null],
      [2, 'token', 'r1'],
      [3, 'progress', 'r1'],
      [4, 'done', 'r1'],
      [5, 'done', 'r2'],
    ]);
    expect(agent.texts[2]).toBe(`{"type":"progress","id":12345678901234567890,"a":${'['.repeat(depth)}${']'.repeat(depth)},"request_id":"r1","seq":3}`);
    agent.close();
  });

  it('an event too deep to serialize again when it must be (the internal API key in it) ends its turn with agent_protocol_error, no seq skipped', async () => {
    const depth = 200_000;
    const key = 'internal-key-0123456789abcdef';
    const agent = deepAgent(`{"type":"progress","echo":"${key}","a":${'['.repeat(depth)}${']'.repeat(depth)}}`, { GATEWAY__INTERNAL_API_KEY: key });
    await agent.turn('deep', 'r1');
    await agent.turn('next', 'r2');
    const frames = agent.frames();
    expect(frames.map((f) => [f.seq, f.type, f.request_id ?? null, f.code ?? null])).toEqual([
      [1, 'session_started', null, null],
      [2, 'token', 'r1', null],
      [3, 'error', 'r1', 'agent_protocol_error'],
      [4, 'done', 'r2', null],
    ]);
    expect(frames[2]).toMatchObject({ source: 'gateway', retryable: false, message: expect.stringContaining('nested too deeply') });
    expect(agent.texts.join('\n')).not.toContain(key);
    agent.close();
  });

  it('refuses a frame whose invalid request_id is nested too deeply to echo: invalid_message without it, no seq skipped (§2)', () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('debug', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const sessions = manager();
      const frames: Record<string, unknown>[] = [];
      const raw: ClientSocket = { send: (text) => void frames.push(JSON.parse(text)), close: () => undefined, terminate: () => undefined, bufferedAmount: 0 };
      const connection = sessions.open('deep-id', raw);
      const depth = 200_000;
      sessions.message(connection, `{"type":"user_message","content":"x","request_id":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      sessions.message(connection, `{"type":"cancel","request_id":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 7 }));
      expect(frames.map((f) => [f.seq, f.type, f.code ?? null])).toEqual([
        [1, 'session_started', null],
        [2, 'error', 'invalid_message'],
        [3, 'error', 'invalid_message'],
        [4, 'error', 'invalid_message'],
      ]);
      for (const frame of frames.slice(1, 3)) {
        expect(frame).toMatchObject({ source: 'gateway', retryable: false, message: expect.stringContaining('nested too deeply'), details: { issues: expect.any(Array) } });
        expect(frame.request_id).toBeUndefined();
        expect(frame.details).not.toHaveProperty('request_id');
      }
      // An id that can be echoed still is.
      expect(frames[3]!.details).toMatchObject({ request_id: 7 });
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      sessions.closed(connection, 1000, '');
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  it('counts closes by code and by who closed, a code only a client would send as other (the series stay few)', async () => {
    const metrics = new GatewayMetrics();
    const sessions = manager(metrics);
    // The client's closes: the code it sent, 1001 when a browser leaves the page.
    for (const [id, code] of [['a', 1001], ['b', 3999], ['c', 4500], ['d', 4001]] as const) sessions.closed(sessions.open(id, socket()), code, '');
    // The gateway's: its own close (a takeover), one the runtime made for it (a refused frame), its liveness drop.
    const first = sessions.open('e', socket());
    const takenOver = sessions.open('e', socket());
    // The client answers the gateway's close with the same code.
    sessions.closed(first, 4001, '');
    const refused = sessions.open('f', socket());
    sessions.closed(refused, 1009, 'message_too_big', true);
    const silent = sessions.open('g', socket());
    silent.terminate();
    sessions.closed(silent, 1006, '');
    const text = (await metrics.render()).body;
    const closed = text.split('\n').filter((line) => line.startsWith('gateway_connections_closed_total{'));
    expect(closed.sort()).toEqual(
      [
        'gateway_connections_closed_total{code="1001",by="client"} 1',
        'gateway_connections_closed_total{code="other",by="client"} 2',
        'gateway_connections_closed_total{code="4001",by="client"} 1',
        'gateway_connections_closed_total{code="4001",by="gateway"} 1',
        'gateway_connections_closed_total{code="1009",by="gateway"} 1',
        'gateway_connections_closed_total{code="1006",by="gateway"} 1',
      ].sort(),
    );
    sessions.closed(takenOver, 1000, '');
  });
  it('a throw at the end of a turn is logged, and the session runs its next turn (no unhandled rejection)', async () => {
    const lines: Record<string, unknown>[] = [];
    configureLogging('error', (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      const metrics = new GatewayMetrics();
      vi.spyOn(metrics.turnsTotal, 'inc').mockImplementationOnce(() => {
        throw new Error('metrics failed');
      });
      const sessions = manager(metrics);
      const raw = socket();
      const connection = sessions.open('throws', raw);
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
      sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r2' }));
      // Both turns end with their terminal frame (the agent cannot be reached).
      await expect.poll(() => raw.calls.filter((call) => call === 'send error')).toHaveLength(2);
      await expect.poll(() => lines.map((line) => line.msg)).toContain('session loop failed');
      expect(lines.find((line) => line.msg === 'session loop failed')).toMatchObject({ level: 'error', error: expect.objectContaining({ message: 'metrics failed' }) });
      expect((await metrics.render()).body).toMatch(/gateway_active_turns 0/);
      sessions.closed(connection, 1000, '');
    } finally {
      configureLogging('error', () => undefined);
    }
  });

  it('a burst of new turns does not hold up a turn already streaming: its event goes out after a few loop turns\' budgets of their starts, and they start in the order they came', async () => {
    configureLogging('error', () => undefined);
    const encoder = new TextEncoder();
    const posted: string[] = [];
    let streaming: ReadableStreamDefaultController<Uint8Array> | undefined;
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const body = JSON.parse(await new Response(init.body).text()) as { session_id: string };
      posted.push(body.session_id);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (body.session_id === 'streaming') {
            streaming = controller;
            controller.enqueue(encoder.encode('data: {"type":"tick","n":1}\n\n'));
          } else {
            controller.enqueue(encoder.encode('data: {"type":"done","finish_reason":"stop"}\n\n'));
            controller.close();
          }
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as unknown as typeof fetch;
    const config = parseConfig({ GATEWAY__AGENT_URL: 'http://agent.invalid', GATEWAY__LOG_LEVEL: 'error' });
    const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1024, fetch: createWebAgentFetch(fetchFn) });
    const sessions = new SessionManager({ config, agent, metrics: new GatewayMetrics() });
    const startsBeforeSecondTick: number[] = [];
    const sent: string[] = [];
    const first = sessions.open('streaming', {
      ...socket(),
      send: (text) => {
        const frame = JSON.parse(text) as { type: string; n?: number };
        sent.push(frame.type);
        if (frame.n === 2) startsBeforeSecondTick.push(posted.length - 1);
      },
    });
    sessions.message(first, JSON.stringify({ type: 'user_message', content: 'go', request_id: 'r1' }));
    await expect.poll(() => sent).toContain('tick');
    const burst = Array.from({ length: 50 }, (_, i) => ({ id: `burst-${i}`, raw: socket() }));
    const connections = burst.map(({ id, raw }) => sessions.open(id, raw));
    for (const connection of connections) sessions.message(connection, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
    // The streaming turn's next event is ready in the next turn of the loop, as I/O during the burst would be.
    setImmediate(() => streaming!.enqueue(encoder.encode('data: {"type":"tick","n":2}\n\n')));
    await expect.poll(() => burst.filter(({ raw }) => raw.calls.includes('send done'))).toHaveLength(50);
    expect(startsBeforeSecondTick).toHaveLength(1);
    // Two budgets here (the frames' turn of the loop, then the one the event came in); started in
    // the frames' handlers, all 50 would have gone out before it.
    expect(startsBeforeSecondTick[0]).toBeLessThanOrEqual(3 * STARTS_PER_LOOP_TURN);
    expect(posted).toEqual(['streaming', ...burst.map(({ id }) => id)]);
    streaming!.enqueue(encoder.encode('data: {"type":"done","finish_reason":"stop"}\n\n'));
    streaming!.close();
    await expect.poll(() => sent).toContain('done');
    for (const connection of [first, ...connections]) sessions.closed(connection, 1000, '');
  });

  it('a takeover while the next turn waits for its start: the new socket\'s first turn reaches the agent only once the old request\'s drain has ended (§6)', async () => {
    configureLogging('error', () => undefined);
    const encoder = new TextEncoder();
    const events: string[] = [];
    let releaseCancel: () => void = () => undefined;
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const requestId = new Headers(init.headers).get('x-request-id')!;
      events.push(`post ${requestId}`);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('data: {"type":"done","finish_reason":"stop"}\n\n'));
          // r1's body goes on after its terminal event: the gateway drains it (§4).
          if (requestId !== 'r1') controller.close();
        },
        cancel: () =>
          new Promise<void>((resolve) => {
            events.push(`cancel ${requestId}`);
            // The old connection is closed only when the test says so.
            releaseCancel = () => {
              events.push(`cancelled ${requestId}`);
              resolve();
            };
          }),
      });
      return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as unknown as typeof fetch;
    const config = parseConfig({ GATEWAY__AGENT_URL: 'http://agent.invalid', GATEWAY__LOG_LEVEL: 'error' });
    const agent = new AgentClient({ agentUrl: config.agentUrl, internalApiKey: undefined, streamTimeoutMs: 5000, maxEventBytes: 1024, fetch: createWebAgentFetch(fetchFn) });
    // One start per turn of the loop, and the test runs the loop's turns.
    const loopTurns: (() => void)[] = [];
    const runLoopTurns = () => loopTurns.splice(0).forEach((run) => run());
    const turnStarts = new TurnStarts(1, (run) => void loopTurns.push(run));
    const sessions = new SessionManager({ config, agent, metrics: new GatewayMetrics(), turnStarts });
    const oldRaw = socket();
    const old = sessions.open('s', oldRaw);
    sessions.message(old, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r1' }));
    sessions.message(old, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r2' }));
    // r1 ends (its body still draining); r2 waits for its start: this turn of the loop had its one.
    await expect.poll(() => oldRaw.calls).toContain('send done');
    await expect.poll(() => turnStarts.pending).toBe(1);
    expect(events).toEqual(['post r1']);
    const newRaw = socket();
    const current = sessions.open('s', newRaw);
    sessions.message(current, JSON.stringify({ type: 'user_message', content: 'x', request_id: 'r3' }));
    await expect.poll(() => events).toContain('cancel r1');
    // r2 (dropped with the old socket) is given its start now: it must not carry r3 past the drain.
    while (turnStarts.pending > 0) runLoopTurns();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(events).toEqual(['post r1', 'cancel r1']);
    releaseCancel();
    await expect.poll(() => (runLoopTurns(), events)).toContain('post r3');
    expect(events).toEqual(['post r1', 'cancel r1', 'cancelled r1', 'post r3']);
    await expect.poll(() => newRaw.calls).toContain('send done');
    sessions.closed(current, 1000, '');
  });

  it('a socket whose opening throws is not left counted or attached: the gauge, the count and a later open are as if it never came', async () => {
    configureLogging('error', () => undefined);
    const metrics = new GatewayMetrics();
    vi.spyOn(metrics.connectionsTotal, 'inc').mockImplementationOnce(() => {
      throw new Error('metrics failed');
    });
    const sessions = manager(metrics);
    expect(() => sessions.open('throws', socket())).toThrow('metrics failed');
    expect(sessions.openConnections).toBe(0);
    expect((await metrics.render()).body).toMatch(/gateway_open_connections 0/);
    // The next connection to that session is a plain open, not a takeover of a dead socket.
    const raw = socket();
    const connection = sessions.open('throws', raw);
    expect(raw.calls).toEqual(['send session_started']);
    expect(sessions.openConnections).toBe(1);
    sessions.closed(connection, 1000, '');
    expect(sessions.openConnections).toBe(0);
  });
});
