import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runGatewayExpectingFailure, type Runtime } from '../support/gateway-process.ts';
import { rawRequest } from '../support/raw-http.ts';
import { connect, refusedUpgrade } from '../support/ws-client.ts';
import { agentRequest, byRequestId, INTERNAL_KEY, scenario, uniqueRequest, uniqueSession, useGateway, withAgent, withGateway } from '../support/harness.ts';
import { closedPort } from './agent-errors.suite.ts';

const now = () => performance.timeOrigin + performance.now();

/** Stops reading the client's socket, then starts a turn that streams far more than the loopback buffers hold. */
function pauseAndFlood(ws: WebSocket, requestId: string, tokens = FLOOD_TOKENS): import('node:net').Socket {
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  socket.pause();
  ws.send(JSON.stringify({ type: 'user_message', content: 'go', request_id: requestId, ...scenario('tokens', tokens) }));
  return socket;
}

const FLOOD_TOKENS = { count: 100_000, size: 500, delay_ms: 0 };

/** Shaped as a client's JWT (base64url header, payload and signature): what §1 keeps out of every response. */
const CLIENT_TOKEN = [{ alg: 'HS256', typ: 'JWT' }, { sid: 's1', exp: 4102444800 }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

const rssBytes = (pid: number) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
};

/** Flow control, liveness, limits, shutdown, config and secrets (protocol.md §1, §8, §10). */
export function operationsSuite(runtime: Runtime) {
  describe(`http endpoints [${runtime}]`, () => {
    const env = useGateway(runtime);

    it('/health is 200 {"status":"ok"} and /ready 200 while the agent answers', async () => {
      const health = await fetch(`${env.gateway.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${env.gateway.url}/ready`)).status).toBe(200);
    });

    it('/metrics speaks Prometheus text with the gateway\'s metrics', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 3 }) });
      await client.terminal(id);
      const res = await fetch(`${env.gateway.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      for (const name of ['gateway_open_connections', 'gateway_turns_total', 'gateway_time_to_first_event_seconds_bucket', 'gateway_frames_relayed_total', 'gateway_bytes_relayed_total', 'gateway_errors_total']) {
        expect(text).toContain(name);
      }
      expect(text).toMatch(/gateway_turns_total\{outcome="done"\} [1-9]/);
      expect(text).toContain('gateway_active_turns');
      // The process's own figures: Node only (README, "Where Deno differs").
      if (runtime === 'node') expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    });

    it('/metrics counts closes by code and by who closed: a refused frame the gateway\'s, a page left (1001) or a 4001 sent the client\'s', async () => {
      const closes = async (code: number, by: string) => {
        const text = await (await fetch(`${env.gateway.url}/metrics`)).text();
        return Number(new RegExp(`^gateway_connections_closed_total\\{code="${code}",by="${by}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      };
      const before = await Promise.all([closes(1009, 'gateway'), closes(1001, 'client'), closes(4001, 'client'), closes(4001, 'gateway')]);
      const client = await env.connect();
      client.sendRaw('x'.repeat(2 * 1024 * 1024));
      expect((await client.closed).code).toBe(1009);
      await expect.poll(() => closes(1009, 'gateway')).toBe(before[0]! + 1);
      for (const code of [1001, 4001]) {
        const leaving = await env.connect();
        leaving.ws.close(code);
        await leaving.closed;
      }
      await expect.poll(() => closes(1001, 'client')).toBe(before[1]! + 1);
      await expect.poll(() => closes(4001, 'client')).toBe(before[2]! + 1);
      expect(await closes(4001, 'gateway')).toBe(before[3]);
    });

    it('/openapi.json and /asyncapi.json come from the protocol package', async () => {
      const openapi = (await (await fetch(`${env.gateway.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
      expect(openapi.openapi).toMatch(/^3\./);
      expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/agent/message/stream', '/ws/{session_id}', '/health', '/ready', '/metrics']));
      const asyncapi = (await (await fetch(`${env.gateway.url}/asyncapi.json`)).json()) as { asyncapi: string };
      expect(asyncapi.asyncapi).toBe('3.0.0');
    });

    it('answers a method other than GET on /ws/… with 404', async () => {
      for (const method of ['POST', 'DELETE']) {
        const res = await fetch(`${env.gateway.url}/ws/${uniqueSession()}`, { method });
        expect(res.status).toBe(404);
        await res.body?.cancel();
      }
    });

    it('the internal API key appears in no frame, response or log line', async () => {
      const client = await env.connect();
      const id = uniqueRequest();
      client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('status', { status: 401 }) });
      await client.terminal(id);
      // A 404 names the path it did not find, without what must never be in a response (§1).
      const percentEncoded = INTERNAL_KEY.replace(/[a-z]/g, (letter) => `%${letter.charCodeAt(0).toString(16)}`);
      const paths = ['/health', '/ready', '/metrics', '/openapi.json', '/asyncapi.json', '/nope', `/x/${INTERNAL_KEY}`, `/x/${percentEncoded}`, `/${CLIENT_TOKEN}`, `/ws/s1/${CLIENT_TOKEN}/x`];
      const bodies = await Promise.all(paths.map(async (p) => (await fetch(`${env.gateway.url}${p}`, { method: p.startsWith('/ws/') ? 'DELETE' : 'GET' })).text()));
      expect(JSON.parse(bodies[6]!)).toEqual({ error: 'not_found', message: 'no route for GET /x/[REDACTED]' });
      expect(JSON.parse(bodies[9]!)).toEqual({ error: 'not_found', message: 'no route for DELETE /ws/s1/[REDACTED]/x' });
      const everything = [JSON.stringify(client.frames), ...bodies, ...env.gateway.stdout, ...env.gateway.stderr].join('\n');
      expect(everything).not.toContain(INTERNAL_KEY);
      expect(everything).not.toContain(CLIENT_TOKEN.split('.')[1]);
      expect(env.gateway.logs.some((l) => l.msg === 'turn ended' && l.request_id === id)).toBe(true);
    });
  });

  describe(`limits and liveness [${runtime}]`, () => {
    it('a client gone without a close frame is logged as closed with 1006 (RFC 6455 §7.1.5) on both runtimes', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const sessionId = uniqueSession();
          const client = await connect(gateway.wsUrl(sessionId));
          client.ws.terminate();
          expect(await gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === sessionId)).toMatchObject({ code: 1006 });
        }),
      );
    });

    it('/ready is 503 when the agent is unreachable; /health stays 200', async () => {
      const port = await closedPort();
      await withGateway(runtime, { url: `http://127.0.0.1:${port}` }, { GATEWAY__REQUEST_TIMEOUT: '1' }, async (gateway) => {
        expect((await fetch(`${gateway.url}/ready`)).status).toBe(503);
        expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
        // Said once in the log, at warn, not once per probe.
        expect((await fetch(`${gateway.url}/ready`)).status).toBe(503);
        // With why: the probe did not wait out its second, the connection was refused.
        expect(await gateway.waitForLog((l) => l.level === 'warn' && String(l.msg).startsWith('not ready'))).toMatchObject({ reason: 'ECONNREFUSED' });
        expect(gateway.logs.filter((l) => String(l.msg).startsWith('not ready'))).toHaveLength(1);
      });
    });

    it('a /ready probe still out at SIGTERM answers 503 shutting_down at once and does not hold the exit', async () => {
      // An agent that accepts connections and never answers: the probe waits for REQUEST_TIMEOUT.
      const silent = createServer(() => undefined);
      try {
        silent.listen(0, '127.0.0.1');
        await once(silent, 'listening');
        const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
        await withGateway(runtime, { url }, { GATEWAY__REQUEST_TIMEOUT: '120', GATEWAY__SHUTDOWN_GRACE: '1' }, async (gateway) => {
          const accepted = once(silent, 'connection');
          const probe = fetch(`${gateway.url}/ready`);
          await accepted;
          const exit = gateway.stop('SIGTERM');
          const res = await probe;
          expect(res.status).toBe(503);
          expect(await res.json()).toEqual({ status: 'shutting_down' });
          expect(await exit).toBe(0);
        });
      } finally {
        silent.close();
      }
    });

    it('refuses connections over MAX_CONNECTIONS with 503 server_busy', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_CONNECTIONS: '1' }, async (gateway) => {
          const first = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const res = await refusedUpgrade(gateway.wsUrl(uniqueSession()));
            expect(res).toEqual({ status: 503, body: { type: 'error', code: 'server_busy', message: expect.any(String), retryable: true, source: 'gateway' } });
          } finally {
            await first.close();
          }
        }),
      );
    });

    it('holds upgrades that arrive together to MAX_CONNECTIONS too', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_CONNECTIONS: '2' }, async (gateway) => {
          // All six start before any has opened: a socket not yet open still takes a place.
          const sessions = Array.from({ length: 6 }, () => uniqueSession());
          const attempts = await Promise.allSettled(sessions.map((id) => connect(gateway.wsUrl(id))));
          const opened = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
          try {
            expect(opened).toHaveLength(2);
            const refusals = attempts.flatMap((a) => (a.status === 'rejected' ? [String((a.reason as Error).message)] : []));
            expect(refusals).toEqual(Array(4).fill('upgrade refused: 503'));
            // A capacity problem: at warn, so GATEWAY__LOG_LEVEL=warning shows it.
            expect(await gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.code === 'server_busy')).toMatchObject({ level: 'warn' });
            // The refused ones hold no place: once one socket has closed, one more opens.
            const first = sessions[attempts.findIndex((a) => a.status === 'fulfilled')]!;
            const closedLog = gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === first);
            await opened[0]!.close();
            await closedLog;
            const next = await connect(gateway.wsUrl(uniqueSession()));
            await next.close();
          } finally {
            await Promise.all(opened.map((c) => c.close()));
          }
        }),
      );
    });

    it('a handshake refused after the route accepted it holds no place under MAX_CONNECTIONS', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_CONNECTIONS: '1' }, async (gateway) => {
          const { hostname, port } = new URL(gateway.url);
          for (let i = 0; i < 3; i++) {
            // The route's checks pass; the runtime's WebSocket handshake refuses it (no Sec-WebSocket-Key).
            const socket = createConnection({ host: hostname, port: Number(port) });
            try {
              await once(socket, 'connect');
              socket.write(
                `GET /ws/${uniqueSession()} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
                  'Sec-WebSocket-Version: 13\r\n\r\n',
              );
              const [head] = (await once(socket, 'data')) as [Buffer];
              expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 4\d\d /);
            } finally {
              socket.destroy();
            }
          }
          const client = await connect(gateway.wsUrl(uniqueSession()));
          await client.close();
        }),
      );
    });

    it.each([
      ['no Sec-WebSocket-Key', 'Sec-WebSocket-Version: 13\r\n'],
      ['an unknown Sec-WebSocket-Version', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n'],
      // RFC 6455 §4.2.1: 16 bytes in base64. Deno's server would upgrade it.
      ['a Sec-WebSocket-Key that is not 16 bytes in base64', 'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n'],
      ['two Sec-WebSocket-Keys', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'],
    ])('a handshake with %s gets 400 with the §1 error body, logged and counted as a refusal', async (_name, headers) => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const { hostname, port } = new URL(gateway.url);
          const sessionId = uniqueSession();
          const socket = createConnection({ host: hostname, port: Number(port) });
          try {
            await once(socket, 'connect');
            socket.write(`GET /ws/${sessionId} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${headers}\r\n`);
            let received = Buffer.alloc(0);
            const complete = () => {
              const text = received.toString('latin1');
              const end = text.indexOf('\r\n\r\n');
              const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
              return end >= 0 && received.length >= end + 4 + length;
            };
            while (!complete()) received = Buffer.concat([received, ((await once(socket, 'data')) as [Buffer])[0]]);
            const text = received.toString('utf8');
            expect(text).toMatch(/^HTTP\/1\.1 400 /);
            expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ type: 'error', code: 'invalid_message', retryable: false, source: 'gateway' });
          } finally {
            socket.destroy();
          }
          await gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.code === 'invalid_message' && l.url === `/ws/${sessionId}`);
        }),
      );
    });

    it('a refused upgrade with a long path logs its first 2,000 characters', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const id = `long-${'a'.repeat(5000)}`;
          expect((await refusedUpgrade(gateway.wsUrl(id))).status).toBe(400);
          const line = await gateway.waitForLog((l) => l.msg === 'upgrade refused' && String(l.url).startsWith('/ws/long-'));
          expect(line.url).toBe(`${`/ws/${id}`.slice(0, 2000)}… (${`/ws/${id}`.length - 2000} more characters)`);
        }),
      );
    });

    it('logs who opened a socket or was refused: the client address, and X-Forwarded-For as sent', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__ALLOWED_ORIGINS: 'https://ide.example' }, async (gateway) => {
          const forwarded = uniqueSession();
          const viaProxy = await connect(gateway.wsUrl(forwarded), { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } });
          const direct = uniqueSession();
          const plain = await connect(gateway.wsUrl(direct));
          try {
            expect(await gateway.waitForLog((l) => l.msg === 'connection opened' && l.session_id === forwarded)).toMatchObject({
              client_address: '127.0.0.1',
              forwarded_for: '203.0.113.7, 10.0.0.1',
            });
            const line = await gateway.waitForLog((l) => l.msg === 'connection opened' && l.session_id === direct);
            expect(line.client_address).toBe('127.0.0.1');
            expect(line).not.toHaveProperty('forwarded_for');
          } finally {
            await Promise.all([viaProxy.close(), plain.close()]);
          }
          const refused = uniqueSession();
          expect((await refusedUpgrade(gateway.wsUrl(refused), { origin: 'https://elsewhere.example', 'x-forwarded-for': 'x'.repeat(300) })).status).toBe(403);
          // A header is the client's to fill: only so much of it is logged.
          expect(await gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.session_id === refused)).toMatchObject({
            code: 'forbidden',
            client_address: '127.0.0.1',
            forwarded_for: 'x'.repeat(256),
          });
          if (runtime === 'node') {
            // Refused by Node's HTTP parser, before any route: the address still goes in the line.
            const host = new URL(gateway.url).host;
            expect((await rawRequest(gateway.url, `GET /ws/${uniqueSession()} HTTP/1.1\r\nHost: ${host}\r\nX-A\u0001: b\r\n\r\n`)).status).toBe(400);
            expect(await gateway.waitForLog((l) => l.msg === 'request refused')).toMatchObject({ code: 'invalid_message', client_address: '127.0.0.1' });
          }
        }),
      );
    });

    it('a request the HTTP parser refuses, an h2c upgrade, an upgrade without Connection: the same JSON answers on both runtimes', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const host = new URL(gateway.url).host;
          const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
          const errorBody = (code: string) => ({ type: 'error', code, message: expect.any(String), retryable: false, source: 'gateway' });
          // Raw UTF-8 in the session id: an invalid session id on both runtimes (§1: that check comes
          // first), though Node's parser refuses the request before any route sees it.
          const cafe = Buffer.from('/ws/café').toString('latin1');
          const raw = await rawRequest(gateway.url, `GET ${cafe} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${key}\r\n`);
          expect(raw.status).toBe(400);
          expect(JSON.parse(raw.body)).toEqual(errorBody('invalid_session_id'));
          if (runtime === 'node') {
            // Elsewhere (the query, a header) it is not the session id's fault: the request could not be read.
            for (const request of [
              `GET /ws/${uniqueSession()}?q=${Buffer.from('é').toString('latin1')} HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
              `GET /ws/${uniqueSession()} HTTP/1.1\r\nHost: ${host}\r\nX-A\u0001: b\r\n\r\n`,
            ]) {
              const unreadable = await rawRequest(gateway.url, request);
              expect(unreadable.status).toBe(400);
              expect(JSON.parse(unreadable.body)).toEqual(errorBody('invalid_message'));
            }
          }
          // `curl --http2` on http:// asks for h2c: served as the plain request it is.
          const h2c = await rawRequest(gateway.url, `GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n`);
          expect(h2c.status).toBe(200);
          expect(JSON.parse(h2c.body)).toEqual({ status: 'ok' });
          const h2cWs = await rawRequest(gateway.url, `GET /ws/${uniqueSession()} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`);
          expect(h2cWs.status).toBe(426);
          expect(JSON.parse(h2cWs.body)).toEqual(errorBody('invalid_message'));
          const noConnection = await rawRequest(gateway.url, `GET /ws/${uniqueSession()} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n${key}Connection: close\r\n\r\n`);
          expect(noConnection.status).toBe(426);
          expect(JSON.parse(noConnection.body)).toEqual(errorBody('invalid_message'));
          if (runtime === 'node') {
            // Node reads at most 16 KiB of headers (Deno more): past that, 431 with the same body.
            const big = await rawRequest(gateway.url, `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
            expect(big.status).toBe(431);
            expect(JSON.parse(big.body)).toEqual(errorBody('invalid_message'));
          }
        }),
      );
    });

    it('survives clients that reset while it answers an h2c request or a refused handshake', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const { hostname, port } = new URL(gateway.url);
          const requests = [
            `GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n`,
            `GET /ws/s1 HTTP/1.1\r\nHost: a b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          ];
          for (let i = 0; i < 40; i++) {
            const socket = createConnection({ host: hostname, port: Number(port) });
            socket.on('error', () => undefined);
            await once(socket, 'connect');
            socket.write(requests[i % 2]!);
            // Reset at once, or once the request has been read: both sides of the answer's write.
            if (i % 4 >= 2) await new Promise((resolve) => setImmediate(resolve));
            socket.resetAndDestroy();
            await once(socket, 'close');
          }
          expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
          expect(gateway.child.exitCode).toBeNull();
        }),
      );
    });

    it('exits on SIGTERM though a refused client keeps its side of the connection open, or never ends its body', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const { hostname, port } = new URL(gateway.url);
          const held = [];
          for (const request of [
            `GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n`,
            `GET /ws/s1 HTTP/1.1\r\nHost: a b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            // Answered (404), but its body never ends: Deno's own shutdown would wait for it for ever.
            `POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab`,
          ]) {
            const socket = createConnection({ host: hostname, port: Number(port), allowHalfOpen: true });
            socket.on('error', () => undefined);
            held.push(socket);
            await once(socket, 'connect');
            socket.write(request);
            await once(socket, 'data');
          }
          try {
            expect(await gateway.stop('SIGTERM')).toBe(0);
          } finally {
            for (const socket of held) socket.destroy();
          }
        }),
      );
    });

    it('a Host header no URL can be made of gets a JSON 4xx, never a 500, and its query never reaches the output', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const token = `tok-${uniqueRequest()}`;
          const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
          for (const host of ['a b', 'a<b']) {
            const refused = await rawRequest(gateway.url, `GET /ws/${uniqueSession()}?access_token=${token} HTTP/1.1\r\nHost: ${host}\r\n${upgrade}\r\n`);
            expect(refused.status).toBe(400);
            expect(JSON.parse(refused.body)).toMatchObject({ type: 'error', code: 'invalid_message', retryable: false, source: 'gateway' });
            const unrouted = await rawRequest(gateway.url, `GET /nope?access_token=${token} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
            expect(unrouted.status).toBeGreaterThanOrEqual(400);
            expect(unrouted.status).toBeLessThan(500);
          }
          await gateway.waitForLog((l) => l.msg === 'upgrade refused' && l.code === 'invalid_message');
          const health = await fetch(`${gateway.url}/health`);
          expect(health.status).toBe(200);
          expect([...gateway.stdout, ...gateway.stderr].join('\n')).not.toContain(token);
        }),
      );
    });

    it('finishes a turn with a MAX_BUFFERED_BYTES smaller than the socket\'s own buffer', async () => {
      // Node's 'drain' never fires for a buffer that stayed under the socket's highWaterMark (16 KiB).
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_BUFFERED_BYTES: '2048', GATEWAY__AGENT_STREAM_TIMEOUT: '5' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const id = uniqueRequest();
            client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 3000, size: 100, delay_ms: 0 }) });
            expect(await client.terminal(id, 30_000)).toMatchObject({ type: 'done' });
            const content = client.frames.filter((f) => f.type === 'token' && f.request_id === id).map((f) => f.content as string).join('');
            expect(content.length).toBe(300_000);
          } finally {
            await client.close();
          }
        }),
      );
    });

    it('stops reading the agent while the client does not read, and delivers everything once it does', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__SLOW_CLIENT_TIMEOUT: '30', GATEWAY__AGENT_STREAM_TIMEOUT: '1' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const id = uniqueRequest();
            // Far more than the loopback socket buffers hold, so the agent must block.
            const tokens = FLOOD_TOKENS;
            const socket = pauseAndFlood(client.ws, id, tokens);
            const record = await agentRequest(agent, byRequestId(id));
            // Twice the agent timeout: a pause the gateway made must not count as agent silence.
            // (An absence has no event to await, so this one wait is on the clock.)
            await new Promise((resolve) => setTimeout(resolve, 2000));
            expect(record.endedAt).toBeNull();
            socket.resume();
            const terminal = await client.terminal(id, 60_000);
            expect(terminal).toMatchObject({ type: 'done' });
            const content = client.frameOf(id).filter((f) => f.type === 'token').map((f) => f.content as string).join('');
            expect(content.length).toBe(tokens.count * tokens.size);
          } finally {
            await client.close();
          }
        }),
      );
    });

    it('a cancel while the turn waits for the client to read aborts the agent request within 1 s', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__SLOW_CLIENT_TIMEOUT: '30' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const id = uniqueRequest();
            const socket = pauseAndFlood(client.ws, id);
            await agentRequest(agent, byRequestId(id));
            // Time for the loopback buffers to fill and the turn to stop reading (no event tells when).
            await new Promise((resolve) => setTimeout(resolve, 500));
            const sentAt = now();
            client.send({ type: 'cancel', request_id: id });
            const record = await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === id && r.endedAt !== null), 5000);
            expect(record.aborted).toBe(true);
            expect(record.endedAt! - sentAt).toBeLessThan(1000);
            socket.resume();
            expect(await client.terminal(id, 60_000)).toMatchObject({ type: 'done', finish_reason: 'cancelled' });
          } finally {
            await client.close();
          }
        }),
      );
    });

    it('a close from a client that has stopped reading ends its turn and aborts the agent request within 1 s (Deno: at the slow-consumer timeout)', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__SLOW_CLIENT_TIMEOUT: '3' }, async (gateway) => {
          const sessionId = uniqueSession();
          const ws = new WebSocket(gateway.wsUrl(sessionId));
          try {
            await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
            const id = uniqueRequest();
            pauseAndFlood(ws, id);
            await agentRequest(agent, byRequestId(id));
            // Time for the loopback buffers to fill and the turn to stop reading (no event tells when).
            await new Promise((resolve) => setTimeout(resolve, 500));
            const closedAt = now();
            ws.close(1000);
            const record = await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === id && r.endedAt !== null), 10_000);
            expect(record.aborted).toBe(true);
            // Deno surfaces the close only once its answer to it can be written (README, "Where Deno differs").
            expect(record.endedAt! - closedAt).toBeLessThan(runtime === 'node' ? 1000 : 3000 + 1000);
            expect(await gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === id)).toMatchObject({ outcome: 'disconnected' });
          } finally {
            ws.terminate();
          }
        }),
      );
    });

    it('closes a client that stays over the limit with 1008 slow_consumer, without growing memory', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__SLOW_CLIENT_TIMEOUT: '1' }, async (gateway) => {
          // Warm up first: a runtime's working set grows with its first megabytes relayed
          // (Deno's by some 75 MB, Node's by some 30), whoever reads them; only growth past that is held data.
          const warm = await connect(gateway.wsUrl(uniqueSession()));
          const warmId = uniqueRequest();
          warm.send({ type: 'user_message', content: 'go', request_id: warmId, ...scenario('tokens', { count: 10_000, size: 500, delay_ms: 0 }) });
          expect(await warm.terminal(warmId, 30_000)).toMatchObject({ type: 'done' });
          await warm.close();
          const ws = new WebSocket(gateway.wsUrl(uniqueSession()));
          try {
            await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
            const before = rssBytes(gateway.child.pid!);
            const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
            socket.pause();
            const id = uniqueRequest();
            ws.send(JSON.stringify({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 200_000, size: 500, delay_ms: 0 }) }));
            const record = await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === id && r.endedAt !== null), 15_000);
            expect(record.aborted).toBe(true);
            // 100 MB offered; the gateway held on to a bounded amount of it.
            expect(rssBytes(gateway.child.pid!) - before).toBeLessThan(40 * 1024 * 1024);
            const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
            socket.resume();
            expect(await closed).toBe(1008);
            await gateway.waitForLog((l) => l.msg === 'slow consumer: closing');
          } finally {
            ws.terminate();
          }
        }),
      );
    });

    it('never closes a client that reads as fast as it can, however many frames an upstream chunk makes', async () => {
      const limits = { GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__MAX_EVENT_BYTES: '65536', GATEWAY__MAX_MESSAGE_BYTES: '65536', GATEWAY__TOKEN_BUFFER_FLUSH_MS: '0' };
      await withAgent((agent) =>
        withGateway(runtime, agent, limits, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          try {
            // A long request id on every one of thousands of tiny frames: several times the chunk's bytes.
            const id = `r-${'x'.repeat(120)}-${uniqueRequest()}`;
            client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 20_000, size: 1, delay_ms: 0 }) });
            expect(await client.terminal(id, 60_000)).toMatchObject({ type: 'done' });
            expect(client.frameOf(id).filter((f) => f.type === 'token')).toHaveLength(20_000);
            expect(gateway.logs.some((l) => l.msg === 'slow consumer: closing')).toBe(false);
          } finally {
            await client.close();
          }
        }),
      );
    });

    it('closes a client that does not read but keeps sending pings with 1008 slow_consumer before SLOW_CLIENT_TIMEOUT', async () => {
      const limits = { GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__MAX_EVENT_BYTES: '65536', GATEWAY__MAX_MESSAGE_BYTES: '65536', GATEWAY__SLOW_CLIENT_TIMEOUT: '300' };
      await withAgent((agent) =>
        withGateway(runtime, agent, limits, async (gateway) => {
          const sessionId = uniqueSession();
          const ws = new WebSocket(gateway.wsUrl(sessionId));
          try {
            await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
            const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
            const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
            socket.pause();
            const closedLog = gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === sessionId, 60_000);
            let stop = false;
            void closedLog.then(() => (stop = true));
            // Each ping is answered with a pong as large: 60 KB a frame the gateway must hold.
            const ping = JSON.stringify({ type: 'ping', id: 'x'.repeat(60_000) });
            for (let i = 0; i < 20_000 && !stop; i++) {
              ws.send(ping);
              if (i % 10 === 9 || ws.bufferedAmount > 1_000_000) await new Promise((resolve) => setImmediate(resolve));
            }
            expect(await closedLog).toMatchObject({ code: 1008 });
            await gateway.waitForLog((l) => l.msg === 'slow consumer: closing' && l.session_id === sessionId);
            socket.resume();
            // Node's client reads the close frame; Deno resets the connection (the client's unread pings).
            await closed;
          } finally {
            ws.terminate();
          }
        }),
      );
    });

    it('a slow consumer the gateway gave up on holds its place under MAX_CONNECTIONS until its connection is gone', async () => {
      const env = { GATEWAY__MAX_CONNECTIONS: '1', GATEWAY__MAX_BUFFERED_BYTES: '65536', GATEWAY__SLOW_CLIENT_TIMEOUT: '0.2' };
      await withAgent((agent) =>
        withGateway(runtime, agent, env, async (gateway) => {
          const sessionId = uniqueSession();
          const ws = new WebSocket(gateway.wsUrl(sessionId));
          try {
            await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
            pauseAndFlood(ws, uniqueRequest());
            // Closed 1008, then given up 5 s later (the close never completes: the client does not read).
            await gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === sessionId, 15_000);
            if (runtime === 'node') {
              // Destroyed: its place is free at once.
              const next = await connect(gateway.wsUrl(uniqueSession()));
              await next.close();
              return;
            }
            // Deno cannot destroy it: until the client lets go, it still holds buffers and a TCP connection.
            expect((await refusedUpgrade(gateway.wsUrl(uniqueSession()))).status).toBe(503);
            ws.terminate();
            // Deno reports the closed connection in its own time: no event reaches the test, so it asks again.
            for (let attempt = 0; ; attempt++) {
              try {
                const next = await connect(gateway.wsUrl(uniqueSession()));
                await next.close();
                break;
              } catch (error) {
                if (attempt >= 100) throw error;
                await new Promise((resolve) => setTimeout(resolve, 50));
              }
            }
          } finally {
            ws.terminate();
          }
        }),
      );
    }, 30_000);

    it('a client flooding frames does not hold the others back: their frames are answered between its own', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          const flooder = await connect(gateway.wsUrl(uniqueSession()));
          const other = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const floodSize = 100_000;
            let answered = 0;
            let allAnswered!: () => void;
            const everyAnswer = new Promise<void>((resolve) => (allAnswered = resolve));
            flooder.ws.on('message', () => ++answered === floodSize && allAnswered());
            // Not JSON: each gets an invalid_json error back. Some 700 KB, in one burst.
            for (let i = 0; i < floodSize; i++) flooder.ws.send('x');
            other.send({ type: 'ping', id: 'between' });
            await other.next((f) => f.type === 'pong' && f.id === 'between', 60_000);
            // Node handles one frame per socket and turn of the event loop (ws allowSynchronousEvents: false):
            // some 6,000 of the flood's answers went out first here, against all 100,000 before. (Deno: some
            // 30,000, as its runtime schedules them: not the gateway's to promise.)
            if (runtime === 'node') expect(answered).toBeLessThan(floodSize / 2);
            // And the flood itself is answered in full: one error frame per frame, none lost.
            await everyAnswer;
            expect(answered).toBe(floodSize);
          } finally {
            await Promise.all([flooder.close(), other.close()]);
          }
        }),
      );
    }, 120_000);

    it('pings every WS_PING_INTERVAL and drops a client that stops answering', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__WS_PING_INTERVAL: '0.2' }, async (gateway) => {
          const healthy = await connect(gateway.wsUrl(uniqueSession()));
          const silentId = uniqueSession();
          const silent = new WebSocket(gateway.wsUrl(silentId), { autoPong: false });
          try {
            let pings = 0;
            const secondPing = new Promise<void>((resolve) => healthy.ws.on('ping', () => ++pings >= 2 && resolve()));
            await new Promise((resolve, reject) => (silent.once('open', resolve), silent.once('error', reject)));
            const code = await new Promise<number>((resolve) => silent.once('close', (c) => resolve(c)));
            expect([1001, 1006]).toContain(code);
            // The gateway dropped it, whichever code the runtime gives the drop: in the log and the metric.
            const line = await gateway.waitForLog((l) => l.msg === 'connection closed' && l.session_id === silentId);
            expect(line).toMatchObject({ by: 'gateway', code: runtime === 'node' ? 1006 : 1001 });
            const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
            expect(metrics).toContain(`gateway_connections_closed_total{code="${line.code}",by="gateway"} 1`);
            // Node pings every socket on one timer; Deno's idleTimeout pings a socket an interval
            // after its last frame, so the healthy client's second ping may come a moment after
            // the silent one is dropped (protocol.md §8): wait for it, two intervals at most.
            await Promise.race([secondPing, new Promise((resolve) => setTimeout(resolve, 400))]);
            expect(pings).toBeGreaterThanOrEqual(2);
            expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
          } finally {
            silent.terminate();
            await healthy.close();
          }
        }),
      );
    });

    // Deno's idleTimeout gives a pong one interval after its ping (README, "Where Deno differs").
    if (runtime === 'node') {
      it('keeps a client whose pongs come more than one interval late, within two', async () => {
        await withAgent((agent) =>
          withGateway(runtime, agent, { GATEWAY__WS_PING_INTERVAL: '0.5' }, async (gateway) => {
            const late = new WebSocket(gateway.wsUrl(uniqueSession()), { autoPong: false });
            try {
              let pings = 0;
              const closed = new Promise<string>((resolve) => late.once('close', (code) => resolve(`closed ${code}`)));
              const fourPings = new Promise<string>((resolve) =>
                late.on('ping', (data) => {
                  // 1.2 intervals after each ping: the gateway must not drop the socket meanwhile.
                  setTimeout(() => late.readyState === WebSocket.OPEN && late.pong(data), 600);
                  if (++pings === 4) resolve('four pings');
                }),
              );
              expect(await Promise.race([fourPings, closed])).toBe('four pings');
              expect(late.readyState).toBe(WebSocket.OPEN);
            } finally {
              late.terminate();
            }
          }),
        );
      });
    }
  });

  describe(`shutdown [${runtime}]`, () => {
    it('a SIGTERM sent as soon as the listening line is read drains and exits 0, not killed by the signal', async () => {
      await withAgent(async (agent) => {
        for (let i = 0; i < 5; i++) {
          await withGateway(runtime, agent, {}, async (gateway) => {
            expect(await gateway.stop('SIGTERM')).toBe(0);
            expect(gateway.logs.some((l) => l.msg === 'signal received: draining')).toBe(true);
          });
        }
      });
    });

    it('SIGHUP (a dropped terminal) drains like SIGTERM and exits 0', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, {}, async (gateway) => {
          expect(await gateway.stop('SIGHUP')).toBe(0);
          expect(gateway.logs.find((l) => l.msg === 'signal received: draining')).toMatchObject({ signal: 'SIGHUP' });
        }),
      );
    });

    it('SIGTERM: refuses upgrades with 503, lets the in-flight turn finish, closes 1001, exits 0', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__SHUTDOWN_GRACE: '10' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          const idle = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const id = uniqueRequest();
            const queued = uniqueRequest();
            client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('tokens', { count: 60, delay_ms: 25 }) });
            client.send({ type: 'user_message', content: 'go', request_id: queued, ...scenario('tokens', { count: 1 }) });
            await client.next((f) => f.request_id === id && f.type === 'token');
            const exit = gateway.stop('SIGTERM');
            expect(await client.terminal(queued)).toMatchObject({ type: 'error', code: 'shutting_down', retryable: true, source: 'gateway' });
            expect((await idle.closed).code).toBe(1001);
            const refused = await refusedUpgrade(gateway.wsUrl(uniqueSession()));
            expect(refused).toMatchObject({ status: 503, body: { code: 'shutting_down', retryable: true } });
            expect((await fetch(`${gateway.url}/ready`)).status).toBe(503);
            client.send({ type: 'user_message', content: 'late', request_id: 'late-1' });
            expect(await client.terminal('late-1')).toMatchObject({ code: 'shutting_down' });
            expect(await client.terminal(id)).toMatchObject({ type: 'done', finish_reason: 'stop' });
            expect((await client.closed).code).toBe(1001);
            expect(await exit).toBe(0);
          } finally {
            await Promise.all([client.close(), idle.close()]);
          }
        }),
      );
    });

    it('at the grace deadline, remaining turns get shutting_down, upstreams are aborted, sockets close 1001, exit 0', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__SHUTDOWN_GRACE: '0.5' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          try {
            const id = uniqueRequest();
            client.send({ type: 'user_message', content: 'go', request_id: id, ...scenario('hang_after_headers') });
            await agentRequest(agent, byRequestId(id));
            const exit = gateway.stop('SIGINT');
            expect(await client.terminal(id)).toMatchObject({ type: 'error', code: 'shutting_down', request_id: id });
            expect((await client.closed).code).toBe(1001);
            expect(await exit).toBe(0);
            const record = await agent.recorder.waitFor((rec) => rec.requests.find((r) => r.headers['x-request-id'] === id && r.endedAt !== null), 2000);
            expect(record.aborted).toBe(true);
          } finally {
            await client.close();
          }
        }),
      );
    });
  });

  describe(`configuration [${runtime}]`, () => {
    it('writes the listening line and start-up warnings whatever GATEWAY__LOG_LEVEL says, and nothing else below the level', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__LOG_LEVEL: 'error' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          await client.close();
          expect(gateway.logs.filter((l) => l.msg === 'listening')).toHaveLength(1);
          // No client check is set: §10's warning at start, even at `error`.
          expect(gateway.logs.filter((l) => l.level === 'warn').map((l) => String(l.msg))).toEqual([expect.stringMatching(/^client authentication is off/)]);
          expect(gateway.logs.some((l) => l.msg === 'connection opened')).toBe(false);
        }),
      );
    });

    it('warns at start of a variable meant for it but misspelt (Node; Deno cannot list the environment), and of none when all are its own', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__LOGLEVEL: 'debug', GATEWAY_PORT: '1' }, async (gateway) => {
          // Written after those warnings, whatever the runtime.
          await gateway.waitForLog((l) => String(l.msg).startsWith('client authentication is off'));
          const warned = gateway.logs.filter((l) => l.level === 'warn' && typeof l.variable === 'string').map((l) => [l.variable, l.meant]);
          expect(warned).toEqual(runtime === 'node' ? [['GATEWAY_PORT', 'GATEWAY__PORT'], ['GATEWAY__LOGLEVEL', 'GATEWAY__LOG_LEVEL']] : []);
        }),
      );
    });

    it('says at start which client checks are on and what the limits are, never a secret, and warns of short secrets', async () => {
      await withAgent((agent) =>
        withGateway(
          runtime,
          agent,
          { GATEWAY__CLIENT_JWT_SECRET: 'short-jwt-secret', GATEWAY__INTERNAL_API_KEY: 'short-key', GATEWAY__MAX_QUEUED_MESSAGES: '3' },
          async (gateway) => {
            expect(gateway.logs.find((l) => l.msg === 'listening')).toMatchObject({ client_auth: ['jwt'], internal_api_key: 'set' });
            expect(await gateway.waitForLog((l) => l.msg === 'configuration')).toMatchObject({ max_queued_messages: 3, max_message_bytes: 1_048_576, shutdown_grace_s: 10 });
            await gateway.waitForLog((l) => String(l.msg).startsWith('GATEWAY__INTERNAL_API_KEY is shorter'));
            const warnings = gateway.logs.filter((l) => l.level === 'warn').map((l) => String(l.msg));
            expect(warnings).toEqual(
              expect.arrayContaining([expect.stringMatching(/^GATEWAY__CLIENT_JWT_SECRET is shorter than 32 bytes/), expect.stringMatching(/^GATEWAY__INTERNAL_API_KEY is shorter than 16/)]),
            );
            // The JWT secret is not redacted (it never leaves the gateway): it is simply never written.
            expect(JSON.stringify(gateway.logs)).not.toContain('short-jwt-secret');
          },
        ),
      );
    });

    it('a turn the agent fails is logged at warn with what failed, so GATEWAY__LOG_LEVEL=warning still shows it; a cancelled one is not', async () => {
      await withAgent((agent) =>
        withGateway(runtime, agent, { GATEWAY__LOG_LEVEL: 'warning' }, async (gateway) => {
          const client = await connect(gateway.wsUrl(uniqueSession()));
          const failed = uniqueRequest();
          client.send({ type: 'user_message', content: 'go', request_id: failed, ...scenario('status', { status: 500 }) });
          await client.terminal(failed);
          const line = await gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === failed);
          expect(line).toMatchObject({ level: 'warn', outcome: 'error:agent_unavailable', error_code: 'agent_unavailable', error: expect.stringContaining('500') });
          const agentError = uniqueRequest();
          client.send({ type: 'user_message', content: 'go', request_id: agentError, ...scenario('agent_error', { code: 'model_overloaded', message: 'busy' }) });
          await client.terminal(agentError);
          expect(await gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === agentError)).toMatchObject({
            level: 'warn',
            outcome: 'agent_error',
            error_code: 'model_overloaded',
            error: 'busy',
          });
          const cancelled = uniqueRequest();
          client.send({ type: 'user_message', content: 'go', request_id: cancelled, ...scenario('slow', { count: 100, delay_ms: 20 }) });
          await client.next((f) => f.request_id === cancelled && f.type === 'token');
          client.send({ type: 'cancel', request_id: cancelled });
          await client.terminal(cancelled);
          // The next turn's line is written after the cancelled one's would have been.
          const after = uniqueRequest();
          client.send({ type: 'user_message', content: 'go', request_id: after, ...scenario('status', { status: 500 }) });
          await client.terminal(after);
          await gateway.waitForLog((l) => l.msg === 'turn ended' && l.request_id === after);
          expect(gateway.logs.some((l) => l.request_id === cancelled)).toBe(false);
          await client.close();
        }),
      );
    });

    it.each([
      ['GATEWAY__PORT', 'eighty'],
      ['GATEWAY__AGENT_STREAM_TIMEOUT', '0'],
      ['GATEWAY__TOKEN_BUFFER_MAX_CHARS', '1.5'],
      ['GATEWAY__LOG_LEVEL', 'loud'],
      ['GATEWAY__AGENT_URL', 'ftp://x'],
      ['GATEWAY__AGENT_URL', 'http://127.0.0.1:1/?x=1'],
      ['GATEWAY__CLIENT_JWT_SECRET', '   '],
      ['GATEWAY__ALLOWED_ORIGINS', '  '],
      ['GATEWAY__INTERNAL_API_KEY', 'ключ-sekret'],
    ])('%s set to %j stops start-up with a non-zero exit naming it, never repeating a secret', async (name, value) => {
      const result = await runGatewayExpectingFailure(runtime, { [name]: value });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(name);
      expect(result.stdout).not.toContain('"msg":"listening"');
      expect(result.stderr + result.stdout).not.toContain('sekret');
    });

    it('a secret that is not UTF-8 stops start-up naming the variable, without printing the value', async () => {
      const result = await runGatewayExpectingFailure(runtime, {}, { printfEnv: { GATEWAY__CLIENT_JWT_SECRET: 's3\\377kret-value' } });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe('gateway: invalid configuration: GATEWAY__CLIENT_JWT_SECRET is not valid UTF-8');
      expect(result.stdout).toBe('');
    });

    it('a port in use stops start-up with exit 1 and one line naming GATEWAY__PORT, no stack trace', async () => {
      const holder = createServer();
      try {
        holder.listen(0, '127.0.0.1');
        await once(holder, 'listening');
        const port = String((holder.address() as AddressInfo).port);
        const result = await runGatewayExpectingFailure(runtime, { GATEWAY__PORT: port });
        expect(result.code).toBe(1);
        expect(result.stderr.trim()).toBe(`gateway: cannot listen on 127.0.0.1:${port}: the port is in use; set GATEWAY__PORT to a free one (0: any free port)`);
      } finally {
        holder.close();
      }
    });

    it('a host that is not this machine\'s stops start-up with exit 1 and one line naming GATEWAY__HOST', async () => {
      // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address.
      const result = await runGatewayExpectingFailure(runtime, { GATEWAY__HOST: '192.0.2.1' });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(/^gateway: cannot listen on 192\.0\.2\.1:0 \(GATEWAY__HOST \/ GATEWAY__PORT\): [^\n]+$/);
    });
  });
}
