import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
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
