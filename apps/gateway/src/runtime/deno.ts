import type { Hono } from 'hono';
import { CLOSE_REASONS, CloseCode } from '@agent-gateway/protocol';
import { exceedsUtf8Bytes } from '../agent/utf8.ts';
import { GatewayError, toHttpResponse } from '../errors.ts';
import { CLOSE_REQUESTS_MS, type RuntimePieces } from '../gateway.ts';
import { chooseSubprotocol, SUPPORTED_WS_VERSIONS } from '../http/ws-route.ts';
import type { ClientSocket, SocketHandler } from '../session/client-socket.ts';

export interface DenoRuntimeOptions {
  maxMessageBytes: number;
  /** `GATEWAY__WS_PING_INTERVAL` in ms; 0: no liveness check. */
  wsPingIntervalMs: number;
}

const isTooBig = (data: unknown, limit: number): boolean => {
  if (typeof data === 'string') return exceedsUtf8Bytes(data, limit);
  if (data instanceof ArrayBuffer) return data.byteLength > limit;
  if (data instanceof Blob) return data.size > limit;
  return ArrayBuffer.isView(data) && data.byteLength > limit;
};

const SOCKET_EVENTS = ['open', 'message', 'close', 'error'] as const;

/** The reason of Deno's close when `idleTimeout` found the client silent (ext/websocket). */
const IDLE_TIMEOUT_REASON = 'No response from ping frame.';

/**
 * Deno's pieces, over `Deno.upgradeWebSocket`. What its server socket lacks,
 * and what stands in for it (README "Deno"):
 * - no `maxPayload`: each message is measured on arrival (received whole by
 *   then) and the socket closed with 1009, as `ws` does on Node;
 * - no ping API or pong event: liveness is Deno's `idleTimeout` (a ping after
 *   half of it without a frame from the client, close 1001 after the other
 *   half), set to two ping intervals, so a client silent that long is dropped;
 * - no way to destroy a socket: `terminate()` starts a close if none has begun
 *   and tells the gateway at once that the socket is gone.
 *
 * Not hono/deno's `upgradeWebSocket`: it compares `Upgrade: websocket`
 * case-sensitively (RFC 6455 §4.2.1: case-insensitive; `ws` on Node accepts
 * `WebSocket`), and a direct call needs no per-socket closures. The route
 * has checked the header already; Deno checks the rest of the handshake.
 */
export function denoRuntime(opts: DenoRuntimeOptions): RuntimePieces {
  const idleTimeout = (2 * opts.wsPingIntervalMs) / 1000;
  const lingering = { count: 0 };
  return {
    lingeringSockets: () => lingering.count,
    // `Deno.serve`'s handler info, which `serveDeno` passes as the app's env.
    clientAddress: (c) => (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname,
    upgrade: (c, handler) => {
      // Without `Connection: Upgrade` this is a plain GET (RFC 9110 §7.8), as Node sees it: 426.
      if (!/(^|,)\s*upgrade\s*(,|$)/i.test(c.req.header('connection') ?? '')) {
        return toHttpResponse(new GatewayError('invalid_message', 'a WebSocket upgrade needs Connection: Upgrade'), 426);
      }
      // Deno does not check the version (RFC 6455 §4.2.1: 13); `ws` on Node accepts 13 and 8 and answers others so.
      const version = c.req.header('sec-websocket-version')?.trim();
      if (version !== '13' && version !== '8') {
        const refusal = toHttpResponse(new GatewayError('invalid_message', 'not a valid WebSocket handshake: Missing or invalid Sec-WebSocket-Version header'), 400);
        refusal.headers.set('sec-websocket-version', SUPPORTED_WS_VERSIONS);
        return refusal;
      }
      const header = c.req.header('sec-websocket-protocol');
      const offered = offeredSubprotocols(header);
      if (offered === undefined) return toHttpResponse(new GatewayError('invalid_message', 'not a valid WebSocket handshake: Invalid Sec-WebSocket-Protocol header'), 400);
      // Deno answers only with an item of the offer split at ", " (as browsers join it): one
      // written otherwise (joined by "," alone, as the `ws` client does) gets no subprotocol.
      const chosen = chooseSubprotocol(offered);
      const protocol = chosen !== undefined && header!.split(', ').includes(chosen) ? chosen : undefined;
      let upgraded: { response: Response; socket: WebSocket };
      try {
        upgraded = Deno.upgradeWebSocket(c.req.raw, { idleTimeout, ...(protocol ? { protocol } : {}) });
      } catch (error) {
        // A malformed handshake (no Sec-WebSocket-Key…): 400, as `ws` answers on Node.
        return toHttpResponse(new GatewayError('invalid_message', `not a valid WebSocket handshake: ${(error as Error).message}`), 400);
      }
      const { response, socket } = upgraded;
      socket.binaryType = 'arraybuffer';
      const adapter = new DenoClientSocket(socket, handler, opts.maxMessageBytes, lingering);
      for (const type of SOCKET_EVENTS) socket.addEventListener(type, adapter);
      return response;
    },
  };
}

/** A list of tokens (RFC 9110 §5.6.1), as `ws` reads Sec-WebSocket-Protocol on Node. */
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

/** The subprotocols a handshake offers; undefined when the header is not a list of distinct tokens (Node: 400). */
function offeredSubprotocols(header: string | undefined): string[] | undefined {
  if (header === undefined) return [];
  if (!TOKEN_LIST.test(header)) return undefined;
  const items = header.split(',').map((item) => item.trim());
  return new Set(items).size === items.length ? items : undefined;
}

/**
 * A Deno socket as the gateway sees it, and the listener of its events
 * (`handleEvent`): one object per socket, methods on the prototype.
 */
class DenoClientSocket implements ClientSocket, EventListenerObject {
  #closed = false;
  #refusing = false;
  /** Given up by the gateway (`terminate`) but still open in Deno: counted in `lingering` until it closes. */
  #lingering = false;

  constructor(
    private readonly raw: WebSocket,
    private readonly handler: SocketHandler,
    private readonly maxMessageBytes: number,
    private readonly lingering: { count: number },
  ) {}

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'open':
        return this.handler.open(this);
      case 'message': {
        if (this.#closed || this.#refusing) return;
        const { data } = event as MessageEvent;
        if (isTooBig(data, this.maxMessageBytes)) {
          // Like `ws`: close 1009 and read nothing more from this socket. Its turns end now, not
          // when the client answers the close (one that stopped reading never does).
          this.#refusing = true;
          this.raw.close(CloseCode.MESSAGE_TOO_BIG, CLOSE_REASONS[CloseCode.MESSAGE_TOO_BIG]);
          return this.#letGo(CloseCode.MESSAGE_TOO_BIG, CLOSE_REASONS[CloseCode.MESSAGE_TOO_BIG]);
        }
        return this.handler.message(data as string | ArrayBuffer);
      }
      case 'close': {
        if (this.#lingering) {
          this.#lingering = false;
          this.lingering.count--;
        }
        const { code, reason, wasClean } = event as CloseEvent;
        // Deno's idleTimeout (the gateway's liveness check) closes with this, unclean.
        const idle = code === CloseCode.GOING_AWAY && !wasClean && reason === IDLE_TIMEOUT_REASON;
        // Deno reports a connection dropped without a close frame as 0; RFC 6455 §7.1.5 (and `ws`) say 1006.
        return this.#reportClose(code === 0 ? 1006 : code, reason, idle);
      }
      case 'error':
        return this.handler.error((event as ErrorEvent).error ?? (event as ErrorEvent).message);
    }
  }

  send(text: string): void {
    this.raw.send(text);
  }

  close(code: number, reason: string): void {
    this.raw.close(code, reason);
  }

  terminate(): void {
    try {
      if (this.raw.readyState === WebSocket.OPEN) this.raw.close(CloseCode.GOING_AWAY, CLOSE_REASONS[CloseCode.GOING_AWAY]);
    } catch {
      // closing already
    }
    // 1006: gone without a completed closing handshake (RFC 6455 §7.1.5); never sent on the wire.
    this.#letGo(1006, '');
  }

  get bufferedAmount(): number {
    return this.raw.bufferedAmount;
  }

  /** The gateway is done with the socket, closed as `code`, before Deno reports it closed. */
  #letGo(code: number, reason: string): void {
    // Its buffers and its TCP connection stay until Deno closes it: it still takes a place under
    // GATEWAY__MAX_CONNECTIONS, so clients that never read cannot pile such sockets up without bound.
    if (!this.#lingering && this.raw.readyState !== WebSocket.CLOSED) {
      this.#lingering = true;
      this.lingering.count++;
    }
    this.#reportClose(code, reason, true);
  }

  /** Reports the close to the gateway once, whether Deno, a refused frame or `terminate()` ended the socket. */
  #reportClose(code: number, reason: string, byGateway = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.handler.close(code, reason, byGateway);
  }
}

export interface DenoServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the app with `Deno.serve`; resolves once listening, with the real port. */
export function serveDeno(app: Hono, opts: { host: string; port: number }): Promise<DenoServer> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve(
        {
          hostname: opts.host,
          port: opts.port,
          onListen: (addr) => {
            const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
            resolve({ url: `http://${host}:${(addr as Deno.NetAddr).port}`, close: () => shutdownWithin(server, CLOSE_REQUESTS_MS) });
          },
        },
        (request, info) => app.fetch(request, info),
      );
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * `server.shutdown()`, given up after `ms`: Deno waits for every request still
 * open, and one whose body never ends (a client stopped mid-body, answered
 * long ago) would keep the process from exiting. The process exits next, which
 * closes whatever is left.
 */
function shutdownWithin(server: Deno.HttpServer, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([server.shutdown(), cut]).finally(() => clearTimeout(timer));
}
