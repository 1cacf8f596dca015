import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { CLOSE_REASONS, CloseCode, SESSION_ID_PATTERN } from '@agent-gateway/protocol';
import { serve, upgradeWebSocket, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { WebSocket, WebSocketServer } from 'ws';
import { GatewayError, toHttpResponse } from '../errors.ts';
import { CLOSE_REQUESTS_MS, type RuntimePieces } from '../gateway.ts';
import { chooseSubprotocol, clientOrigin, invalidSessionId, logUpgradeRefusal, pathOf, pathOfTarget, SUPPORTED_WS_VERSIONS } from '../http/ws-route.ts';
import { createNodeAgentFetch } from './node-agent-fetch.ts';
import { loggers } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ClientSocket, SocketHandler } from '../session/client-socket.ts';

/** Upgrade requests handed to node-server's helper: any other gets the app's response written for it. */
const upgrading = new WeakSet<IncomingMessage>();

/**
 * Node's pieces: node-server 2's built-in WebSocket support over `ws`.
 * `agentStreamTimeoutMs` bounds undici's own connect attempts (a second
 * longer, so the gateway's idle timer always speaks first).
 */
export function nodeRuntime(opts: { agentStreamTimeoutMs: number }): RuntimePieces {
  return {
    upgrade: (c, handler) => {
      const env = c.env as Partial<HttpBindings>;
      // Node emits 'upgrade' only with `Connection: Upgrade`; without it this is a plain request.
      if (env.outgoing !== undefined) {
        return toHttpResponse(new GatewayError('invalid_message', 'a WebSocket upgrade needs Connection: Upgrade'), 426);
      }
      upgrading.add(env.incoming as IncomingMessage);
      return upgradeWebSocket(c, {
        onOpen: (_event, ws) => adopt(ws.raw as WebSocket, handler),
        // Until `adopt` takes over: frames node-server buffered during the handshake.
        onMessage: (event) => handler.message(event.data as string | ArrayBuffer),
        onClose: (event) => handler.close(event.code, event.reason),
        onError: (event) => handler.error((event as ErrorEvent).error),
      });
    },
    requestTarget,
    clientAddress: (c) => peerAddress((c.env as Partial<HttpBindings> | undefined)?.incoming?.socket),
    header,
    opensAtOnce: true,
    fetch: createNodeAgentFetch({ connectTimeoutMs: opts.agentStreamTimeoutMs + 1000 }),
  };
}

/**
 * The peer's address, for the log. Not `socket.remoteAddress`: that keeps the peer's name on the
 * socket for as long as it is open, some 150 B per idle socket (docs/performance.md, item 27),
 * for one log line. Asked of the socket's handle as Node's own getter asks it, without the copy.
 */
export function peerAddress(socket: unknown): string | undefined {
  const handle = (socket as { _handle?: { getpeername?: (out: { address?: string }) => number } } | undefined)?._handle;
  if (typeof handle?.getpeername !== 'function') return (socket as { remoteAddress?: string } | undefined)?.remoteAddress;
  const out: { address?: string } = {};
  return handle.getpeername(out) === 0 ? out.address : undefined;
}

/**
 * The path as sent (and the query, in origin form): node-server rebuilds the
 * URL with `new URL()` when the target has a dot segment, which resolves it.
 */
function requestTarget(c: Context): string | undefined {
  return targetPath((c.env as Partial<HttpBindings> | undefined)?.incoming?.url);
}

/**
 * A header as sent, every value joined: node-server's upgrade Request drops an
 * empty value (`Origin:`) and keeps the first of repeated ones (two
 * `Authorization` headers), which would let either pass the checks of §9.
 */
function header(c: Context, name: string): string | undefined {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming === undefined) return c.req.raw.headers.get(name) ?? undefined;
  return incoming.headersDistinct[name]?.join(', ');
}

function targetPath(target: string | undefined): string | undefined {
  if (target === undefined || target.startsWith('/')) return target;
  // Absolute form (`GET http://host/ws/x`): the path after the authority.
  return target.includes('://') ? pathOf(target) : undefined;
}

const HANDLER = Symbol('agent-gateway.socket-handler');
/** Set once the socket's close has been reported: early (`GatewayWebSocket.close`) or at 'close'. */
const CLOSE_REPORTED = Symbol('agent-gateway.close-reported');
type AdoptedSocket = WebSocket & { [HANDLER]: SocketHandler; [CLOSE_REPORTED]?: true };

/** Reports the socket's close to its handler, once (`SocketHandler`: `close` once). */
function reportClose(raw: WebSocket, code: number, reason: string, byGateway?: boolean): void {
  const socket = raw as Partial<AdoptedSocket>;
  const handler = socket[HANDLER];
  if (handler === undefined || socket[CLOSE_REPORTED]) return;
  socket[CLOSE_REPORTED] = true;
  handler.close(code, reason, byGateway);
}

/**
 * Takes the socket's events over from node-server once it has opened.
 * node-server's upgrade helper dispatches them through listeners that keep
 * the whole upgrade request alive (its Hono Context, Request and
 * IncomingMessage: ≈ 8 KiB an idle socket) and wraps every frame in a
 * `MessageEvent`. Its listeners are attached synchronously right after
 * `onOpen` returns, so a microtask later — before any I/O can deliver a
 * frame — the ones added since `onOpen` are swapped for shared functions
 * that read the handler from the socket. Frames that arrived during the
 * handshake have been replayed through `onMessage` by then, in order.
 */
function adopt(raw: WebSocket, handler: SocketHandler): void {
  // By identity, not by count: node-server removes a listener of its own (the
  // handshake buffer) after `onOpen` as well as adding its dispatchers.
  // Plain arrays: this runs for every upgrade, and its garbage adds up in a connection storm.
  const before = [raw.listeners('message'), raw.listeners('close'), raw.listeners('error')] as const;
  (raw as AdoptedSocket)[HANDLER] = handler;
  handler.open(new NodeClientSocket(raw));
  queueMicrotask(() => {
    removeAddedSince(raw, 'message', before[0]);
    removeAddedSince(raw, 'close', before[1]);
    removeAddedSince(raw, 'error', before[2]);
    raw.on('message', onMessage);
    raw.on('close', onClose);
    raw.on('error', onError);
    raw.on('pong', onPong);
  });
}

function removeAddedSince(raw: WebSocket, event: 'message' | 'close' | 'error', before: Function[]): void {
  for (const listener of raw.listeners(event)) {
    if (!before.includes(listener)) raw.off(event, listener as (...args: unknown[]) => void);
  }
}

function onMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  // binaryType is 'nodebuffer': one Buffer per message; ws has checked a text frame's UTF-8.
  (this as AdoptedSocket)[HANDLER].message(isBinary ? (data as Buffer) : data.toString());
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  reportClose(this, code, reason.toString());
}

function onError(this: WebSocket, error: Error): void {
  (this as AdoptedSocket)[HANDLER].error(error);
}

function onPong(this: WebSocket): void {
  (this as AdoptedSocket)[HANDLER].pong();
}

/**
 * `ws`'s socket, reporting a close as soon as it starts from the other side.
 * `ws` answers a close frame from the client (or a frame it refuses: 1009,
 * 1007) through `close()`, but emits 'close' only once the TCP connection has
 * ended, which a client that has stopped reading delays by up to 30 s: its
 * turns must end, and their agent requests be aborted, within 1 s (§6). The
 * gateway's own closes go to `WebSocket.prototype.close` directly.
 */
class GatewayWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    // `ws` closes a frame over maxPayload with 1009, and a text frame that is not UTF-8 with 1007, with no
    // reason; the protocol's are `message_too_big` (as on Deno) and `invalid_payload`, in the log too.
    // Its own closes (a frame it refused: 1002, 1007, 1009) carry a code and no reason; an answer to
    // a client's close repeats the client's code and reason (a Buffer), or has neither (1005).
    const own = code !== undefined && data === undefined;
    const reason = own && (code === CloseCode.MESSAGE_TOO_BIG || code === CloseCode.INVALID_PAYLOAD) ? CLOSE_REASONS[code] : data;
    if (this.readyState === WebSocket.OPEN) reportClose(this, code ?? 1005, reason?.toString() ?? '', own);
    super.close(code, reason);
  }
}

/** A `ws` socket as the gateway sees it; methods on the prototype, not closures per socket. */
class NodeClientSocket implements ClientSocket {
  constructor(private readonly raw: WebSocket) {}

  send(text: string): void {
    this.raw.send(text);
  }

  close(code: number, reason: string): void {
    // Not through GatewayWebSocket's override: the gateway knows of its own close.
    WebSocket.prototype.close.call(this.raw, code, reason);
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

  // ws writes each frame to its net.Socket (corked per frame); an outer cork spans several.
  cork(): void {
    this.#netSocket()?.cork();
  }

  uncork(): void {
    this.#netSocket()?.uncork();
  }

  #netSocket(): import('node:net').Socket | undefined {
    return (this.raw as unknown as { _socket?: import('node:net').Socket })._socket;
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
export function serveNode(
  app: Hono,
  opts: { host: string; port: number; maxMessageBytes: number; metrics?: GatewayMetrics },
): Promise<NodeServer> {
  // No client tracking: the SessionManager keeps the open connections.
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: opts.maxMessageBytes,
    perMessageDeflate: false,
    // One client frame per socket and turn of the event loop: a client flooding frames must not hold the
    // others back (ws would handle every frame of each read at once, and libuv reads a busy socket 32 times).
    allowSynchronousEvents: false,
    WebSocket: GatewayWebSocket,
    handleProtocols: (offered) => chooseSubprotocol(offered) ?? false,
  });
  // Upgrades node-server could make a Request of (it calls `fetch` at once, before our 'upgrade' listener runs).
  const reachedApp = new WeakSet<IncomingMessage>();
  // A handshake `ws` refuses itself (no or a bad Sec-WebSocket-Key or -Version, after the route accepted
  // it): answered with the §1 error body, logged and counted, instead of ws's plain-text 400.
  wss.on('wsClientError', (error: Error, _socket: unknown, request: IncomingMessage) => {
    const refusal = new GatewayError('invalid_message', `not a valid WebSocket handshake: ${error.message}`);
    noteRefusal(refusal, request, opts.metrics);
    const response = toHttpResponse(refusal, 400);
    // RFC 6455 §4.4: a version the server does not speak is answered with the ones it does.
    if (/Sec-WebSocket-Version/i.test(error.message)) response.headers.set('sec-websocket-version', SUPPORTED_WS_VERSIONS);
    void writeRefusal(request, response);
  });
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
          const incoming = env.incoming as IncomingMessage;
          if (env.outgoing === undefined) reachedApp.add(incoming);
          const response = await app.fetch(request, env);
          // An upgrade refused, or made to a route that does not upgrade (`/health`): answered here.
          if (env.outgoing === undefined && (response.status >= 300 || !upgrading.has(incoming))) await writeRefusal(incoming, response);
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
              const http = server as Server;
              // Idle keep-alive connections go now, and each busy one as soon as its answer is out
              // (a /ready probe given up at shutdown), or cut after a moment.
              const sweep = setInterval(() => http.closeIdleConnections(), 10);
              const cut = setTimeout(() => http.closeAllConnections(), CLOSE_REQUESTS_MS);
              http.close(() => {
                clearInterval(sweep);
                clearTimeout(cut);
                done();
              });
              http.closeIdleConnections();
            }),
        });
      },
    ) as Server;
    // A request Node's parser refuses (a raw non-ASCII byte in the target, headers over 16 KiB):
    // answered with the §1 error body instead of Node's empty one. Its target is not logged.
    server.on('clientError', (error: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
      // As Node's own handler: nothing is written where a response has begun or cannot be.
      const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
      if (error.code === 'ECONNRESET' || !socket.writable || answering) return void socket.destroy();
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      // A raw byte the parser refuses in a session id (`/ws/é`, not percent-encoded) is that id's fault first (§1).
      const refusal =
        status === 400 && badSessionIdIn((error as { rawPacket?: unknown }).rawPacket)
          ? invalidSessionId()
          : new GatewayError('invalid_message', `the request could not be read: ${STATUS_CODES[status] ?? error.code}`);
      opts.metrics?.errorsTotal.inc({ code: refusal.code });
      loggers.session().info('request refused', { code: refusal.code, status, reason: error.code, ...clientOrigin(peerAddress(socket), undefined) });
      void writeResponse(socket, toHttpResponse(refusal, status));
    });
    // With a listener of our own, node-server leaves refused upgrades to `writeRefusal`.
    server.on('upgrade', (request: IncomingMessage, socket: import('node:stream').Duplex) => {
      // Node takes its own error listener off an upgrade's socket, and node-server adds one only to
      // WebSocket upgrades it handles: without this, a client's reset while we answer kills the process.
      if (request.headers.upgrade?.toLowerCase() !== 'websocket' || !reachedApp.has(request)) socket.on('error', destroyOnError);
      if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
        // Not a WebSocket upgrade (`curl --http2` asks for h2c): a plain request, which the app
        // answers as Deno's server does, ignoring the Upgrade header (RFC 9110 §7.8).
        void answerByApp(app, request);
      } else if (!reachedApp.has(request)) {
        // node-server could not build a URL of it (a backslash in the path, a bad Host header) and,
        // with this listener present, leaves the answer to us: without one, the client would wait forever.
        const path = pathOfTarget(request.url ?? '');
        const error =
          path.startsWith('/ws/') && !SESSION_ID_PATTERN.test(path.slice('/ws/'.length))
            ? invalidSessionId()
            : new GatewayError('invalid_message', 'the upgrade request has a request target or Host header that cannot be parsed');
        noteRefusal(error, request, opts.metrics);
        void writeRefusal(request, toHttpResponse(error, 400));
      }
    });
    server.once('error', reject);
  });
}

/**
 * Whether the request line at the start of `raw` (what Node's parser was reading when it
 * refused it) names `/ws/{session_id}` with a byte in the session id that the parser refuses
 * (outside printable ASCII): then the fault is the session id's. Best effort: `raw` is the
 * chunk being parsed, so a request line split across two reads, or a request after another
 * on the same connection, is answered `invalid_message` as before.
 */
function badSessionIdIn(raw: unknown): boolean {
  if (!Buffer.isBuffer(raw)) return false;
  // Latin-1: one character a byte.
  const line = /^[A-Z]+ ([^ \r\n]+)/.exec(raw.subarray(0, Math.min(raw.length, 8192)).toString('latin1'));
  if (line === null) return false;
  const path = pathOfTarget(line[1]!);
  return path.startsWith('/ws/') && /[^\x21-\x7e]/.test(path.slice('/ws/'.length));
}

/** A request Node handed to 'upgrade' that is not a WebSocket one, answered by the app on its socket. */
async function answerByApp(app: Hono, incoming: IncomingMessage): Promise<void> {
  let request: Request;
  try {
    const target = incoming.url ?? '/';
    const url = /^https?:\/\//i.test(target) ? new URL(target) : new URL(target, `http://${incoming.headers.host ?? 'localhost'}`);
    const headers = new Headers();
    for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
    request = new Request(url, { method: incoming.method ?? 'GET', headers });
  } catch {
    return writeRefusal(incoming, toHttpResponse(new GatewayError('invalid_message', 'the request has a request target or Host header that cannot be parsed'), 400));
  }
  const response = await app.fetch(request, { incoming, outgoing: undefined });
  return writeRefusal(incoming, response);
}

function writeRefusal(incoming: IncomingMessage, response: Response): Promise<void> {
  return writeResponse(incoming.socket, response);
}

function destroyOnError(this: import('node:stream').Duplex): void {
  this.destroy();
}

/** A refused client that keeps its side open is cut this long after the answer is out (it holds the exit otherwise). */
const LINGER_MS = 1000;

/** Writes `response` on a socket no HTTP response object owns (an upgrade, a parse error), and closes it. */
async function writeResponse(socket: import('node:stream').Duplex, response: Response): Promise<void> {
  if (socket.destroyed) return;
  if (!socket.listeners('error').includes(destroyOnError)) socket.on('error', destroyOnError);
  socket.once('finish', () => {
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  });
  const body = Buffer.from(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n`;
  response.headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'connection' && key !== 'transfer-encoding') head += `${key}: ${value}\r\n`;
  });
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/** An upgrade refused before it reached the route: counted and logged as the route logs its own. */
function noteRefusal(error: GatewayError, request: IncomingMessage, metrics: GatewayMetrics | undefined): void {
  metrics?.errorsTotal.inc({ code: error.code });
  const forwardedFor = request.headers['x-forwarded-for'];
  logUpgradeRefusal('info', {
    code: error.code,
    reason: error.message,
    target: request.url ?? '',
    origin: request.headers.origin,
    client: clientOrigin(peerAddress(request.socket), Array.isArray(forwardedFor) ? forwardedFor.join(', ') : forwardedFor),
  });
}
