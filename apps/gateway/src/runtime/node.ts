import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { serve, upgradeWebSocket, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { WSContext } from 'hono/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayError, toHttpResponse } from '../errors.ts';
import type { RuntimePieces } from '../gateway.ts';
import { createNodeAgentFetch } from './node-agent-fetch.ts';
import type { ClientSocket } from '../session/client-socket.ts';

/** Node's pieces: node-server 2's built-in WebSocket support over `ws`. */
export const nodeRuntime: RuntimePieces = {
  upgrade: (c, events) =>
    // Node emits 'upgrade' only with `Connection: Upgrade`; without it this is a plain request.
    (c.env as Partial<HttpBindings>).outgoing !== undefined
      ? toHttpResponse(new GatewayError('invalid_message', 'a WebSocket upgrade needs Connection: Upgrade'), 426)
      : upgradeWebSocket(c, events),
  fetch: createNodeAgentFetch(),
  wrapSocket: (ws: WSContext<unknown>, onPong: () => void): ClientSocket => {
    const raw = ws.raw as WebSocket;
    raw.on('pong', onPong);
    return new NodeClientSocket(raw);
  },
};

/** A `ws` socket as the gateway sees it; methods on the prototype, not closures per socket. */
class NodeClientSocket implements ClientSocket {
  constructor(private readonly raw: WebSocket) {}

  send(text: string): void {
    this.raw.send(text);
  }

  close(code: number, reason: string): void {
    this.raw.close(code, reason);
  }

  terminate(): void {
    this.raw.terminate();
  }

  get bufferedAmount(): number {
    return this.raw.bufferedAmount;
  }

  ping(): void {
    this.raw.ping();
  }

  /** ws writes straight to its net.Socket: the socket's 'drain' is the buffer's. */
  drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const socket = (this.raw as unknown as { _socket?: import('node:net').Socket })._socket;
      if (socket === undefined || socket.destroyed || socket.writableLength === 0) return resolve();
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }
}

export interface NodeServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the app with node-server and a `WebSocketServer` whose `maxPayload`
 * closes oversized frames with 1009. Refused upgrades get their JSON body:
 * node-server alone would answer them with an empty one.
 */
export function serveNode(app: Hono, opts: { host: string; port: number; maxMessageBytes: number }): Promise<NodeServer> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
          const response = await app.fetch(request, env);
          if (env.outgoing === undefined && response.status >= 300) await writeRefusal(env.incoming as IncomingMessage, response);
          return response;
        },
        hostname: opts.host,
        port: opts.port,
        websocket: { server: wss },
      },
      (info: AddressInfo) => {
        const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
        resolve({
          server: server as Server,
          url: `http://${host}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              (server as Server).close(() => done());
              (server as Server).closeAllConnections?.();
            }),
        });
      },
    ) as Server;
    // With a listener of our own, node-server leaves refused upgrades to `writeRefusal`.
    server.on('upgrade', (request: IncomingMessage, socket: import('node:stream').Duplex) => {
      if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
        socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      }
    });
    server.once('error', reject);
  });
}

async function writeRefusal(incoming: IncomingMessage, response: Response): Promise<void> {
  const socket = incoming.socket;
  if (socket.destroyed) return;
  const body = Buffer.from(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n`;
  response.headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'connection' && key !== 'transfer-encoding') head += `${key}: ${value}\r\n`;
  });
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}
