import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { RouteSocketHandler } from '../http/ws-route.ts';
import { parseConfig } from '../config.ts';
import { createGateway } from '../gateway.ts';
import { connect, type TestClient } from '../../test/support/ws-client.ts';
import { nodeRuntime, peerAddress, serveNode } from './node.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Full collections until `ref` is cleared or `rounds` pass; the event loop turns in between. */
async function collected(ref: WeakRef<object>, rounds = 10): Promise<boolean> {
  for (let i = 0; i < rounds && ref.deref() !== undefined; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

describe('Node runtime: node-server 2 upgrade, socket adopted on open', () => {
  it('an open socket keeps nothing of its upgrade request, and its frames still reach the session once', async () => {
    // The agent is never called: the frames below are refused by the gateway itself.
    const config = parseConfig({ GATEWAY__PORT: '0', GATEWAY__AGENT_URL: 'http://127.0.0.1:9', GATEWAY__WS_PING_INTERVAL: '0' });
    const gateway = createGateway(config, nodeRuntime(config));
    const upgrades: { context: WeakRef<object>; request: WeakRef<object> }[] = [];
    const app = new Hono();
    app.use('/ws/*', async (c, next) => {
      upgrades.push({ context: new WeakRef(c), request: new WeakRef(c.req.raw) });
      await next();
    });
    app.route('/', gateway.app);
    const server = await serveNode(app, { host: '127.0.0.1', port: 0, maxMessageBytes: config.maxMessageBytes });
    let client: TestClient | undefined;
    try {
      client = await connect(`${server.url.replace('http', 'ws')}/ws/retention`);
      await client.next((f) => f.type === 'session_started');
      expect(upgrades).toHaveLength(1);
      expect(await collected(upgrades[0]!.context)).toBe(true);
      expect(await collected(upgrades[0]!.request)).toBe(true);
      client.sendRaw('not json');
      client.sendRaw('{"type":"no_such_frame"}');
      await client.next((f) => f.type === 'error' && f.seq === 3);
      expect(client.frames.map((f) => [f.type, f.code])).toEqual([
        ['session_started', undefined],
        ['error', 'invalid_json'],
        ['error', 'invalid_message'],
      ]);
      await client.close();
      await expect.poll(() => gateway.sessions.openConnections).toBe(0);
    } finally {
      client?.ws.terminate();
      await server.close();
    }
  });
});

describe('Node runtime: close reports', () => {
  it('reports a client\'s close to the socket\'s handler once, not again when ws emits close', async () => {
    const config = parseConfig({ GATEWAY__PORT: '0', GATEWAY__AGENT_URL: 'http://127.0.0.1:9', GATEWAY__WS_PING_INTERVAL: '0' });
    const gateway = createGateway(config, nodeRuntime(config));
    const opened = vi.spyOn(RouteSocketHandler.prototype, 'open');
    const closes = vi.spyOn(RouteSocketHandler.prototype, 'close');
    const server = await serveNode(gateway.app, { host: '127.0.0.1', port: 0, maxMessageBytes: config.maxMessageBytes });
    let client: TestClient | undefined;
    try {
      client = await connect(`${server.url.replace('http', 'ws')}/ws/closes`);
      // The server's side of the socket (NodeClientSocket's `raw`).
      const raw = (opened.mock.calls[0]![0] as unknown as { raw: WebSocket }).raw;
      client.ws.close(1000, 'bye');
      await client.closed;
      // Closed on the server's side too: ws has emitted its 'close' by then.
      await expect.poll(() => raw.readyState).toBe(WebSocket.CLOSED);
      expect(closes.mock.calls.map(([code, reason]) => [code, reason])).toEqual([[1000, 'bye']]);
    } finally {
      opened.mockRestore();
      closes.mockRestore();
      client?.ws.terminate();
      await server.close();
    }
  });
});

describe('peerAddress', () => {
  it('reads the peer of an accepted socket without keeping a copy on it, as remoteAddress does', async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = createConnection((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      const socket = await accepted;
      expect(peerAddress(socket)).toBe('127.0.0.1');
      expect((socket as unknown as { _peername?: unknown })._peername).toBeFalsy();
      // The getter it stands in for keeps the peer's name for the socket's life.
      expect(socket.remoteAddress).toBe('127.0.0.1');
      expect((socket as unknown as { _peername?: unknown })._peername).toMatchObject({ address: '127.0.0.1' });
      expect(peerAddress(undefined)).toBeUndefined();
    } finally {
      client.destroy();
      server.close();
    }
  });
});
