import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../support/gateway-process.ts';
import { connect, isTerminal } from '../support/ws-client.ts';
import { agentRequest, byRequestId, scenario, uniqueRequest, uniqueSession, useGateway } from '../support/harness.ts';

const now = () => performance.timeOrigin + performance.now();
const slow = scenario('slow', { count: 1000, delay_ms: 20, keepalive_ms: 5 });

/** Turns (protocol.md §6): FIFO, concurrency, cancel, disconnect, takeover, duplicate tool results, queue bound. */
export function turnsSuite(runtime: Runtime) {
  describe(`turns [${runtime}]`, () => {
    const env = useGateway(runtime, { GATEWAY__MAX_QUEUED_MESSAGES: '2' });

    it('runs a session\'s turns one at a time in arrival order', async () => {
      const client = await env.connect();
      const ids = [uniqueRequest(), uniqueRequest(), uniqueRequest()];
      for (const id of ids) client.send({ type: 'user_message', content: id, request_id: id, ...scenario('tokens', { count: 5, delay_ms: 5 }) });
      await client.terminal(ids[2]!);
      const terminals = client.frames.filter(isTerminal).map((f) => f.request_id);
      expect(terminals).toEqual(ids);
      const records = await Promise.all(ids.map((id) => agentRequest(env.agent, byRequestId(id))));
      for (let i = 1; i < records.length; i++) expect(records[i]!.startedAt).toBeGreaterThanOrEqual(records[i - 1]!.startedAt);
      // No two requests of the session were in flight at once: each started after the previous one's stream ended.
      for (let i = 1; i < records.length; i++) expect(records[i]!.startedAt).toBeGreaterThanOrEqual(records[i - 1]!.endedAt! - 5);
    });

    it('runs different sessions concurrently', async () => {
      const [a, b] = await Promise.all([env.connect(), env.connect()]);
      const ida = uniqueRequest();
      const idb = uniqueRequest();
      a.send({ type: 'user_message', content: 'go', request_id: ida, ...slow });
      b.send({ type: 'user_message', content: 'go', request_id: idb, ...slow });
      const [ra, rb] = await Promise.all([agentRequest(env.agent, byRequestId(ida)), agentRequest(env.agent, byRequestId(idb))]);
      expect(ra.endedAt).toBeNull();
      expect(rb.endedAt).toBeNull();
      a.send({ type: 'cancel' });
      b.send({ type: 'cancel' });
      await Promise.all([a.terminal(ida), b.terminal(idb)]);
    });

    it('cancel of the in-flight turn flushes, ends it with done/cancelled, and the agent sees the abort within 1 s', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...slow });
      await client.next((f) => f.request_id === id && f.type === 'token');
      const sentAt = now();
      client.send({ type: 'cancel', request_id: id });
      expect(await client.terminal(id)).toMatchObject({ type: 'done', finish_reason: 'cancelled', request_id: id });
      const record = await env.agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === id && r.aborted), 2000);
      expect(record.endedAt! - sentAt).toBeLessThan(1000);
      expect(client.frameOf(id).filter(isTerminal)).toHaveLength(1);
    });

    it('cancel without request_id ends the in-flight turn and every queued one; queued ones never reach the agent', async () => {
      const client = await env.connect();
      const ids = [uniqueRequest(), uniqueRequest(), uniqueRequest()];
      for (const id of ids) client.send({ type: 'user_message', content: 'go', request_id: id, ...slow });
      await agentRequest(env.agent, byRequestId(ids[0]!));
      client.send({ type: 'cancel' });
      for (const id of ids) expect(await client.terminal(id)).toMatchObject({ type: 'done', finish_reason: 'cancelled' });
      const later = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: later, ...scenario('tokens', { count: 1 }) });
      await client.terminal(later);
      expect(env.agent.requests.some((r) => r.headers['x-request-id'] === ids[1] || r.headers['x-request-id'] === ids[2])).toBe(false);
    });

    it('cancel with the id of a queued turn cancels only that turn', async () => {
      const client = await env.connect();
      const [first, second, third] = [uniqueRequest(), uniqueRequest(), uniqueRequest()];
      client.send({ type: 'user_message', content: 'go', request_id: first, ...scenario('tokens', { count: 20, delay_ms: 10 }) });
      client.send({ type: 'user_message', content: 'go', request_id: second, ...scenario('tokens', { count: 1 }) });
      client.send({ type: 'user_message', content: 'go', request_id: third, ...scenario('tokens', { count: 1 }) });
      client.send({ type: 'cancel', request_id: second });
      expect(await client.terminal(second)).toMatchObject({ type: 'done', finish_reason: 'cancelled' });
      expect(await client.terminal(first)).toMatchObject({ type: 'done', finish_reason: 'stop' });
      expect(await client.terminal(third)).toMatchObject({ type: 'done', finish_reason: 'stop' });
    });

    it('cancelling nothing is a no-op', async () => {
      const client = await env.connect();
      client.send({ type: 'cancel' });
      client.send({ type: 'cancel', request_id: 'no-such-turn' });
      client.send({ type: 'ping', id: 'after-cancel' });
      const pong = await client.next((f) => f.type === 'pong');
      expect(pong.id).toBe('after-cancel');
      expect(client.frames.map((f) => f.type)).toEqual(['session_started', 'pong']);
    });

    it('closing the socket aborts the in-flight request within 1 s', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...slow });
      await client.next((f) => f.request_id === id && f.type === 'token');
      const closedAt = now();
      await client.close();
      const record = await env.agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === id && r.aborted), 2000);
      expect(record.endedAt! - closedAt).toBeLessThan(1000);
    });

    it('a second connection takes the session over: 4001 for the old one, new turns after the old request ended', async () => {
      const sessionId = uniqueSession('takeover');
      const old = await env.connect(sessionId);
      const id = uniqueRequest();
      old.send({ type: 'user_message', content: 'go', request_id: id, ...slow });
      await old.next((f) => f.request_id === id && f.type === 'token');
      const fresh = await env.connect(sessionId);
      const closed = await old.closed;
      expect(closed.code).toBe(4001);
      expect(old.frameOf(id).filter(isTerminal)).toHaveLength(0);
      const next = uniqueRequest();
      fresh.send({ type: 'user_message', content: 'go', request_id: next, ...scenario('tokens', { count: 2 }) });
      expect(await fresh.terminal(next)).toMatchObject({ type: 'done' });
      const [oldRecord, newRecord] = await Promise.all([agentRequest(env.agent, byRequestId(id)), agentRequest(env.agent, byRequestId(next))]);
      expect(oldRecord.aborted).toBe(true);
      expect(newRecord.startedAt).toBeGreaterThanOrEqual(oldRecord.endedAt!);
      expect(fresh.frames[0]).toMatchObject({ type: 'session_started', seq: 1 });
      // In the log: the takeover first, then the old turn, disconnected by it, on the old connection.
      const takeover = await env.gateway.waitForLog((l) => l.msg === 'session taken over' && l.session_id === sessionId);
      const ended = await env.gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === id);
      expect(ended).toMatchObject({ outcome: 'disconnected', taken_over: true, connection_id: takeover.previous_connection_id });
      expect(env.gateway.logs.indexOf(takeover)).toBeLessThan(env.gateway.logs.indexOf(ended));
    });

    it('a takeover right after the old turns\' done: their bodies\' drains are aborted, and the new turn reaches the agent after those connections closed', async () => {
      const sessionId = uniqueSession('takeover-drain');
      const old = await env.connect(sessionId);
      // Two turns, each `done` and then a body that never ends: the gateway drains each for up
      // to 1 s (§4), and the second starts while the first drains (a tool_result sent at once).
      const ids = [uniqueRequest(), uniqueRequest()];
      for (const id of ids) {
        old.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('never_end_after_done') });
        expect(await old.terminal(id)).toMatchObject({ type: 'done' });
      }
      const fresh = await env.connect(sessionId);
      expect((await old.closed).code).toBe(4001);
      const next = uniqueRequest();
      fresh.send({ type: 'user_message', content: 'go', request_id: next, ...scenario('tokens', { count: 2 }) });
      expect(await fresh.terminal(next)).toMatchObject({ type: 'done' });
      const newRecord = await agentRequest(env.agent, byRequestId(next));
      for (const id of ids) {
        const oldRecord = await agentRequest(env.agent, byRequestId(id));
        expect(oldRecord.aborted).toBe(true);
        expect(newRecord.startedAt).toBeGreaterThanOrEqual(oldRecord.endedAt!);
      }
    });

    it('refuses a tool_result the agent already accepted, and forwards a retry after a failure', async () => {
      const client = await env.connect();
      const first = uniqueRequest();
      client.send({ type: 'tool_result', tool_call_id: 'call-dup', result: 'x', request_id: first, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(first)).toMatchObject({ type: 'done' });
      const dup = uniqueRequest();
      client.send({ type: 'tool_result', tool_call_id: 'call-dup', result: 'x', request_id: dup, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(dup)).toMatchObject({ type: 'error', code: 'duplicate_tool_result', retryable: false, source: 'gateway', request_id: dup });
      expect(env.agent.requests.some((r) => r.headers['x-request-id'] === dup)).toBe(false);

      const failed = uniqueRequest();
      client.send({ type: 'tool_result', tool_call_id: 'call-retry', result: 1, request_id: failed, ...scenario('status', { status: 503 }) });
      expect(await client.terminal(failed)).toMatchObject({ code: 'agent_unavailable' });
      const retry = uniqueRequest();
      client.send({ type: 'tool_result', tool_call_id: 'call-retry', result: 1, request_id: retry, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(retry)).toMatchObject({ type: 'done' });
    });

    it('a copy of a tool_result queued behind the first waits its turn, then gets duplicate_tool_result', async () => {
      const client = await env.connect();
      const [a, b] = [uniqueRequest(), uniqueRequest()];
      client.send({ type: 'tool_result', tool_call_id: 'call-q', result: [], request_id: a, ...scenario('tokens', { count: 3, delay_ms: 5 }) });
      client.send({ type: 'tool_result', tool_call_id: 'call-q', result: [], request_id: b, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(a)).toMatchObject({ type: 'done' });
      expect(await client.terminal(b)).toMatchObject({ code: 'duplicate_tool_result' });
    });

    it('accepted tool calls survive a takeover', async () => {
      const sessionId = uniqueSession('marks');
      const first = await env.connect(sessionId);
      const a = uniqueRequest();
      first.send({ type: 'tool_result', tool_call_id: 'call-keep', result: 'ok', request_id: a, ...scenario('tokens', { count: 1 }) });
      await first.terminal(a);
      const second = await env.connect(sessionId);
      const b = uniqueRequest();
      second.send({ type: 'tool_result', tool_call_id: 'call-keep', result: 'ok', request_id: b });
      expect(await second.terminal(b)).toMatchObject({ code: 'duplicate_tool_result' });
    });

    it('queue_full when MAX_QUEUED_MESSAGES turns already wait behind the in-flight one', async () => {
      const client = await env.connect();
      const ids = [uniqueRequest(), uniqueRequest(), uniqueRequest(), uniqueRequest()];
      client.send({ type: 'user_message', content: 'go', request_id: ids[0], ...slow });
      await agentRequest(env.agent, byRequestId(ids[0]!));
      for (const id of ids.slice(1)) client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(ids[3]!)).toMatchObject({ type: 'error', code: 'queue_full', retryable: true, source: 'gateway', request_id: ids[3] });
      // A turn like any other for the people who run the gateway: its line, and counted by outcome.
      const refused = client.frameOf(ids[3]!)[0]!;
      expect(await env.gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === ids[3])).toMatchObject({
        outcome: 'error:queue_full',
        error_code: 'queue_full',
        duration_ms: 0,
        events: 0,
        frames: 1,
        bytes: Buffer.byteLength(JSON.stringify(refused)),
      });
      expect(await (await fetch(`${env.gateway.url}/metrics`)).text()).toMatch(/^gateway_turns_total\{outcome="error:queue_full"\} [1-9]/m);
      client.send({ type: 'cancel', request_id: ids[0] });
      expect(await client.terminal(ids[1]!)).toMatchObject({ type: 'done' });
      expect(await client.terminal(ids[2]!)).toMatchObject({ type: 'done' });
    });

    it('a request_id used by a live turn is refused with invalid_message, id in details', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...slow });
      await agentRequest(env.agent, byRequestId(id));
      client.send({ type: 'user_message', content: 'again', request_id: id });
      const refusal = await client.next((f) => f.type === 'error' && f.code === 'invalid_message');
      expect(refusal.request_id).toBeUndefined();
      expect(refusal.details).toMatchObject({ request_id: id });
      client.send({ type: 'cancel', request_id: id });
      await client.terminal(id);
      expect(client.frameOf(id).filter(isTerminal)).toHaveLength(1);
    });
  });

  describe(`client frames [${runtime}]`, () => {
    const env = useGateway(runtime, { GATEWAY__MAX_MESSAGE_BYTES: '4096' });

    it.each([
      ['not json', 'nope', 'invalid_json'],
      ['a JSON array', '[1,2]', 'invalid_json'],
      ['a JSON string', '"hi"', 'invalid_json'],
      ['null', 'null', 'invalid_json'],
      ['an unknown type', '{"type":"launch"}', 'invalid_message'],
      ['no type', '{"content":"x"}', 'invalid_message'],
      ['empty content', '{"type":"user_message","content":""}', 'invalid_message'],
      ['tool_result without result', '{"type":"tool_result","tool_call_id":"c"}', 'invalid_message'],
      ['is_error not boolean', '{"type":"tool_result","tool_call_id":"c","result":1,"is_error":"yes"}', 'invalid_message'],
      ['a request_id with a space', '{"type":"user_message","content":"x","request_id":"a b"}', 'invalid_message'],
      ['a request_id of 129 chars', `{"type":"user_message","content":"x","request_id":"${'a'.repeat(129)}"}`, 'invalid_message'],
    ])('%s → %s, connection still usable, nothing sent to the agent', async (_label, text, code) => {
      const client = await env.connect();
      const before = env.agent.requests.length;
      client.sendRaw(text);
      const error = await client.next((f) => f.type === 'error');
      expect(error).toMatchObject({ code, retryable: false, source: 'gateway' });
      if (code === 'invalid_message') expect(Array.isArray((error.details as { issues?: unknown })?.issues)).toBe(true);
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'ok', request_id: id, ...scenario('tokens', { count: 1 }) });
      expect(await client.terminal(id)).toMatchObject({ type: 'done' });
      expect(env.agent.requests.length).toBe(before + 1);
    });

    it('a binary frame → invalid_message, connection still usable', async () => {
      const client = await env.connect();
      client.sendRaw(Buffer.from('{"type":"ping"}'), true);
      expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'invalid_message', source: 'gateway' });
      client.send({ type: 'ping', id: 'x' });
      expect(await client.next((f) => f.type === 'pong')).toMatchObject({ id: 'x' });
    });

    it('a refused frame carries its valid request_id at the top level, an invalid one in details, invalid_json none', async () => {
      const client = await env.connect();
      client.send({ type: 'user_message', content: '', request_id: 'valid-id' });
      const top = await client.next((f) => f.type === 'error' && f.request_id === 'valid-id');
      expect(top.code).toBe('invalid_message');
      client.send({ type: 'user_message', content: '', request_id: 'bad id' });
      const inDetails = await client.next((f) => f.type === 'error' && (f.details as { request_id?: string })?.request_id === 'bad id');
      expect(inDetails.request_id).toBeUndefined();
      client.sendRaw('{oops');
      const json = await client.next((f) => f.type === 'error' && f.code === 'invalid_json');
      expect('request_id' in json).toBe(false);
    });

    it('ping is answered by pong with the same id', async () => {
      const client = await env.connect();
      client.send({ type: 'ping', id: 'abc' });
      client.send({ type: 'ping' });
      await client.next((f) => f.type === 'pong' && f.id === undefined);
      expect(client.frames.filter((f) => f.type === 'pong').map((f) => f.id)).toEqual(['abc', undefined]);
    });

    it('a frame larger than MAX_MESSAGE_BYTES closes the socket with 1009 message_too_big, logged with that reason', async () => {
      const sessionId = uniqueSession();
      const client = await env.connect(sessionId);
      client.send({ type: 'user_message', content: 'x'.repeat(5000) });
      expect(await client.closed).toEqual({ code: 1009, reason: 'message_too_big' });
      expect(await env.gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === sessionId)).toMatchObject({ code: 1009, reason: 'message_too_big' });
    });

    it('a 1009 close to a client that does not answer it ends its turns at once: upstream aborted within 1 s, the queued turn never sent', async () => {
      const sessionId = uniqueSession();
      const client = await env.connect(sessionId);
      const [inFlight, queued] = [uniqueRequest(), uniqueRequest()];
      client.send({ type: 'user_message', content: 'go', request_id: inFlight, ...slow });
      await agentRequest(env.agent, byRequestId(inFlight));
      client.send({ type: 'user_message', content: 'go', request_id: queued, ...scenario('tokens', { count: 1 }) });
      // The client reads nothing more: it never sees the gateway's close, so never answers it.
      (client.ws as unknown as { _socket: Socket })._socket.pause();
      const sentAt = now();
      client.send({ type: 'user_message', content: 'x'.repeat(5000) });
      const record = await env.agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === inFlight && r.aborted), 3000);
      expect(record.endedAt! - sentAt).toBeLessThan(1000);
      expect(await env.gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === sessionId)).toMatchObject({ code: 1009, reason: 'message_too_big' });
      expect(await env.gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === queued)).toMatchObject({ outcome: 'disconnected' });
      expect(env.agent.requests.some((r) => r.headers['x-request-id'] === queued)).toBe(false);
      client.ws.terminate();
    });

    it.each(['a%2Fb', 'a%20b', '', 'a/b', 'a b', 'x'.repeat(129), 'caf%C3%A9', 'a!'])(
      'refuses session id %j with 400 invalid_session_id',
      async (sessionId) => {
        const { refusedUpgrade } = await import('../support/ws-client.ts');
        const res = await refusedUpgrade(`${env.gateway.url.replace(/^http/, 'ws')}/ws/${sessionId}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ type: 'error', code: 'invalid_session_id', message: expect.any(String), retryable: false, source: 'gateway' });
      },
    );

    // As sent on the wire: a URL parser would rewrite these before sending.
    it.each(['a/../b', 'a/./b', '%2e%2e', '.%2E', 'a\\b', 'a%5Cb'])('refuses the raw session path %j with 400 invalid_session_id', async (sessionId) => {
      const { socket, head, received } = await rawUpgrade(env.gateway.url, sessionId, 'websocket');
      try {
        expect(head).toMatch(/^HTTP\/1\.1 400 /);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
        while (received().length < length) await once(socket, 'data');
        expect(JSON.parse(received().toString())).toEqual({ type: 'error', code: 'invalid_session_id', message: expect.any(String), retryable: false, source: 'gateway' });
      } finally {
        socket.destroy();
      }
    });

    it('refuses a dot segment in an absolute-form target (GET http://host/ws/a/../b) with 400 invalid_session_id', async () => {
      const target = `${env.gateway.url}/ws/a/../${uniqueSession()}`;
      const { socket, head } = await rawUpgrade(env.gateway.url, '', 'websocket', Buffer.alloc(0), { target });
      socket.destroy();
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
    });

    it('answers an upgrade to a route that does not upgrade with that route\'s response, never leaves it waiting', async () => {
      const { socket, head } = await rawUpgrade(env.gateway.url, '', 'websocket', Buffer.alloc(0), { target: '/health' });
      socket.destroy();
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
    });

    const refusalsCounted = async (code: string) => {
      const text = await (await fetch(`${env.gateway.url}/metrics`)).text();
      return Number(new RegExp(`^gateway_errors_total\\{code="${code}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };

    it.each(['/ws/../health', '/ws/../metrics', '/ws/x/../../health'])(
      'refuses %j, a /ws/ path that leaves /ws/, with 400 invalid_session_id, logged as sent and counted',
      async (path) => {
        const target = `${path}?probe=${uniqueRequest()}`;
        const before = await refusalsCounted('invalid_session_id');
        const { socket, head } = await rawUpgrade(env.gateway.url, '', 'websocket', Buffer.alloc(0), { target });
        socket.destroy();
        expect(head).toMatch(/^HTTP\/1\.1 400 /);
        // As sent, its query redacted (§9).
        await env.gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.code === 'invalid_session_id' && l.url === `${path}?[REDACTED]`);
        expect(await refusalsCounted('invalid_session_id')).toBe(before + 1);
      },
    );

    it('accepts an absolute-form target (GET http://host/ws/id)', async () => {
      const { socket, head } = await rawUpgrade(env.gateway.url, '', 'websocket', Buffer.alloc(0), { target: `${env.gateway.url}/ws/${uniqueSession()}` });
      socket.destroy();
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
    });

    it('does not read a session id out of the query of an absolute-form target (GET http://host?x=/ws/id)', async () => {
      const { socket, head } = await rawUpgrade(env.gateway.url, '', 'websocket', Buffer.alloc(0), { target: `${env.gateway.url}?x=/ws/${uniqueSession()}` });
      socket.destroy();
      expect(head).not.toMatch(/^HTTP\/1\.1 101 /);
    });

    it.each(['user@127.0.0.1', 'a b'])('answers an upgrade with the Host header %j, never leaves it waiting', async (host) => {
      const sessionId = uniqueSession();
      const { socket, head } = await rawUpgrade(env.gateway.url, sessionId, 'websocket', Buffer.alloc(0), { host });
      socket.destroy();
      // node-server cannot build a URL with it; Deno's server takes it as it is, and the route refuses it.
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      await env.gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.code === 'invalid_message' && l.url === `/ws/${sessionId}`);
    });

    it('accepts an upgrade whose Upgrade header is spelled WebSocket (RFC 6455 §4.2.1: any case)', async () => {
      const { socket, head } = await rawUpgrade(env.gateway.url, uniqueSession(), 'WebSocket');
      socket.destroy();
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
    });

    it('answers with the first subprotocol offered, never one shaped like a client token (§1: no response carries one)', async () => {
      const token = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sid":"*"}').toString('base64url')}.c2lnbmF0dXJl`;
      const answered = async (offer: string) => {
        const { socket, head } = await rawUpgrade(env.gateway.url, uniqueSession(), 'websocket', Buffer.alloc(0), { headers: `Sec-WebSocket-Protocol: ${offer}\r\n` });
        socket.destroy();
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        return /^sec-websocket-protocol: *(.*)$/im.exec(head)?.[1];
      };
      // As a browser joins the offer.
      expect(await answered('ide.v1, chat')).toBe('ide.v1');
      expect(await answered(`base64url.bearer.authorization.${token}, ${token}, ide.v1`)).toBe('ide.v1');
      // Only a token offered: none chosen (a browser then fails the handshake, rather than the token coming back).
      expect(await answered(token)).toBeUndefined();
      // A token encoded again, as Kubernetes clients send it, or named as a credential.
      const encoded = `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`;
      expect(await answered(`${encoded}, v.${Buffer.from(token).toString('base64url')}, access_token.x, ide.v1`)).toBe('ide.v1');
      // Joined by "," alone, as the `ws` client does: Deno answers only with an item of a ", "-joined offer.
      expect(await answered('ide.v1,chat')).toBe(runtime === 'node' ? 'ide.v1' : undefined);
    });

    it.each(['', ' ', ',', 'a,,b', ', a', '"q", x', 'a, a'])('refuses the subprotocol offer %j, not a list of distinct tokens, with 400 invalid_message', async (offer) => {
      const { socket, head, received } = await rawUpgrade(env.gateway.url, uniqueSession(), 'websocket', Buffer.alloc(0), { headers: `Sec-WebSocket-Protocol: ${offer}\r\n` });
      try {
        expect(head).toMatch(/^HTTP\/1\.1 400 /);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
        while (received().length < length) await once(socket, 'data');
        expect(JSON.parse(received().toString())).toMatchObject({ type: 'error', code: 'invalid_message', source: 'gateway' });
      } finally {
        socket.destroy();
      }
    });

    it('a frame that arrives in the same packet as the handshake is handled once, before the frames after it', async () => {
      const [first, second] = [uniqueRequest(), uniqueRequest()];
      const message = (id: string) => maskedTextFrame(JSON.stringify({ type: 'user_message', content: id, request_id: id, ...scenario('tokens', { count: 3 }) }));
      const { socket, head, received } = await rawUpgrade(env.gateway.url, uniqueSession(), 'websocket', message(first));
      try {
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        while (!textFramesOf(received()).some((f) => f.includes('"session_started"'))) await once(socket, 'data');
        socket.write(message(second));
        const terminals = () =>
          textFramesOf(received())
            .map((text) => JSON.parse(text) as { type: string; request_id?: string })
            .filter((frame) => frame.type === 'done' || frame.type === 'error')
            .map((frame) => frame.request_id);
        while (!terminals().includes(second)) await once(socket, 'data');
        expect(terminals()).toEqual([first, second]);
      } finally {
        socket.destroy();
      }
    });

    it('a frame announced larger than 64 MiB: 1009 on Node; on Deno (its own limit) the connection is dropped, 1006', async () => {
      const { socket, head, received } = await rawUpgrade(env.gateway.url, uniqueSession(), 'websocket');
      try {
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        // FIN + text, masked, 64-bit length: the header alone, no payload follows.
        const header = Buffer.alloc(14);
        header[0] = 0x81;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(BigInt(65 * 1024 * 1024), 2);
        socket.write(header);
        await once(socket, 'close');
        expect(closeCodeOf(received()) ?? 1006).toBe(runtime === 'node' ? 1009 : 1006);
      } finally {
        socket.destroy();
      }
    });

    it('a text frame that is not UTF-8: 1007 invalid_payload on Node; on Deno the connection is dropped, 1006', async () => {
      const { socket, head, received } = await rawUpgrade(env.gateway.url, uniqueSession(), 'websocket');
      try {
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        // FIN + text, masked with a zero key, two bytes that are not UTF-8.
        socket.write(Buffer.from([0x81, 0x80 | 2, 0, 0, 0, 0, 0xff, 0xfe]));
        await once(socket, 'close');
        const close = closeOf(received());
        if (runtime === 'node') expect(close).toEqual({ code: 1007, reason: 'invalid_payload' });
        else expect(close?.code ?? 1006).toBe(1006);
      } finally {
        socket.destroy();
      }
    });

    it('a frame breaking the WebSocket protocol (an unknown opcode): on Node closed 1002, counted and logged as the gateway\'s close', async () => {
      const sessionId = uniqueSession();
      const { socket, head, received } = await rawUpgrade(env.gateway.url, sessionId, 'websocket');
      try {
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        // FIN + opcode 3 (reserved), masked, empty.
        socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
        await once(socket, 'close');
        const line = await env.gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === sessionId);
        if (runtime === 'node') {
          expect(closeOf(received())?.code).toBe(1002);
          expect(line).toMatchObject({ code: 1002, by: 'gateway' });
        } else {
          // Deno drops such a connection without a close frame: the client is gone.
          expect(line).toMatchObject({ code: 1006, by: 'client' });
        }
      } finally {
        socket.destroy();
      }
    });

    it('a GET on /ws/{id} that is not a complete WebSocket handshake gets a JSON error, not a crash', async () => {
      const { get } = await import('node:http');
      for (const headers of [{}, { upgrade: 'websocket' }]) {
        const sessionId = uniqueSession();
        // fetch refuses an Upgrade header, so a plain http request.
        const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          get(`${env.gateway.url}/ws/${sessionId}`, { headers }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          }).on('error', reject);
        });
        expect([400, 426]).toContain(status);
        expect(JSON.parse(body)).toMatchObject({ type: 'error', code: 'invalid_message', retryable: false, source: 'gateway' });
        // No Upgrade header at all: refused by the route, logged with the request target on both runtimes.
        if (!('upgrade' in headers)) await env.gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.code === 'invalid_message' && l.url === `/ws/${sessionId}`);
      }
    });

    it('accepts a session id of 128 allowed characters', async () => {
      const client = await connect(env.gateway.wsUrl(`Az09._:-${'x'.repeat(120)}`));
      try {
        expect(client.frames[0]).toMatchObject({ type: 'session_started', session_id: `Az09._:-${'x'.repeat(120)}` });
      } finally {
        await client.close();
      }
    });
  });
}

/** A WebSocket handshake over a bare socket: the socket, the response head, and every byte after it. */
async function rawUpgrade(
  gatewayUrl: string,
  sessionId: string,
  upgrade: string,
  after: Buffer = Buffer.alloc(0),
  opts: { host?: string; target?: string; headers?: string } = {},
): Promise<{ socket: Socket; head: string; received: () => Buffer }> {
  const { hostname, port } = new URL(gatewayUrl);
  const socket = createConnection({ host: hostname, port: Number(port) });
  let bytes = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (bytes = Buffer.concat([bytes, chunk])));
  await once(socket, 'connect');
  socket.write(
    `GET ${opts.target ?? `/ws/${sessionId}`} HTTP/1.1\r\nHost: ${opts.host ?? hostname}\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${opts.headers ?? ''}\r\n` +
      after.toString('latin1'),
    'latin1',
  );
  while (bytes.indexOf('\r\n\r\n') < 0) await once(socket, 'data');
  const end = bytes.indexOf('\r\n\r\n');
  return { socket, head: bytes.subarray(0, end).toString('latin1'), received: () => bytes.subarray(end + 4) };
}

/** A client text frame (FIN, masked with a zero key), payload under 64 KiB. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, Buffer.alloc(4), payload]);
}

/** The payloads of the complete unmasked text frames among server frames. */
function textFramesOf(frames: Buffer): string[] {
  const texts: string[] = [];
  for (let at = 0; at + 2 <= frames.length; ) {
    let length = frames[at + 1]! & 0x7f;
    let payload = at + 2;
    if (length === 126) {
      length = frames.readUInt16BE(payload);
      payload += 2;
    }
    if (payload + length > frames.length) break;
    if ((frames[at]! & 0x0f) === 0x1) texts.push(frames.subarray(payload, payload + length).toString());
    at = payload + length;
  }
  return texts;
}

/** The code of the first close frame among unmasked server frames (RFC 6455 §5.2), if any. */
function closeCodeOf(frames: Buffer): number | undefined {
  return closeOf(frames)?.code;
}

/** The code and reason of the first close frame among unmasked server frames, if any. */
function closeOf(frames: Buffer): { code: number; reason: string } | undefined {
  for (let at = 0; at + 2 <= frames.length; ) {
    const opcode = frames[at]! & 0x0f;
    let length = frames[at + 1]! & 0x7f;
    let payload = at + 2;
    if (length === 126) {
      length = frames.readUInt16BE(payload);
      payload += 2;
    } else if (length === 127) {
      length = Number(frames.readBigUInt64BE(payload));
      payload += 8;
    }
    if (opcode === 0x8) {
      return length >= 2 ? { code: frames.readUInt16BE(payload), reason: frames.subarray(payload + 2, payload + length).toString() } : { code: 1005, reason: '' };
    }
    at = payload + length;
  }
  return undefined;
}
