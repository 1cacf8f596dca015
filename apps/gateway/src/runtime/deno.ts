import type { Context, Hono } from 'hono';
import { WSContext, type WSEvents, type WSReadyState } from 'hono/ws';
import { CLOSE_REASONS, CloseCode } from '@agent-gateway/protocol';
import { exceedsUtf8Bytes } from '../agent/utf8.ts';
import { GatewayError, toHttpResponse } from '../errors.ts';
import type { RuntimePieces } from '../gateway.ts';
import type { ClientSocket } from '../session/client-socket.ts';

export interface DenoRuntimeOptions {
  maxMessageBytes: number;
  /** `GATEWAY__WS_PING_INTERVAL` in ms; 0: no liveness check. */
  wsPingIntervalMs: number;
}

/** Reports a close to the gateway once, whether Deno or `terminate()` ended the socket. */
type ReportClose = (code: number, reason: string) => void;

const isTooBig = (data: unknown, limit: number): boolean => {
  if (typeof data === 'string') return exceedsUtf8Bytes(data, limit);
  if (data instanceof ArrayBuffer) return data.byteLength > limit;
  if (data instanceof Blob) return data.size > limit;
  return ArrayBuffer.isView(data) && data.byteLength > limit;
};

/**
 * hono/deno's `upgradeWebSocket`, less its case-sensitive `Upgrade: websocket`
 * check (RFC 6455 §4.2.1: case-insensitive; `ws` on Node accepts `WebSocket`).
 * The route has checked the header already; Deno checks the rest of the handshake.
 */
function upgradeDeno(c: Context, events: WSEvents<WebSocket>, options: Deno.UpgradeWebSocketOptions): Response {
  const protocol = c.req.header('sec-websocket-protocol')?.split(',')[0]?.trim();
  let upgraded: { response: Response; socket: WebSocket };
  try {
    upgraded = Deno.upgradeWebSocket(c.req.raw, { ...options, ...(protocol ? { protocol } : {}) });
  } catch (error) {
    // A malformed handshake (no Sec-WebSocket-Key…): 400, as `ws` answers on Node.
    return toHttpResponse(new GatewayError('invalid_message', `not a valid WebSocket handshake: ${(error as Error).message}`), 400);
  }
  const { response, socket } = upgraded;
  const ws = new WSContext<WebSocket>({
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    raw: socket,
    get readyState() {
      return socket.readyState as WSReadyState;
    },
    url: socket.url ? new URL(socket.url) : null,
    protocol: socket.protocol,
  });
  socket.onopen = (event) => events.onOpen?.(event, ws);
  socket.onmessage = (event) => events.onMessage?.(event, ws);
  socket.onclose = (event) => events.onClose?.(event, ws);
  socket.onerror = (event) => events.onError?.(event, ws);
  return response;
}

/**
 * Deno's pieces, over `Deno.upgradeWebSocket`. What its server socket lacks,
 * and what stands in for it (README "Deno"):
 * - no `maxPayload`: each message is measured on arrival (received whole by
 *   then) and the socket closed with 1009, as `ws` does on Node;
 * - no ping API or pong event: liveness is Deno's `idleTimeout` (a ping after
 *   half of it without a frame from the client, close 1001 after the other
 *   half), set to two ping intervals, so a client silent that long is dropped;
 * - no drain event: `drained` stays undefined and `Connection` polls `bufferedAmount`;
 * - no way to destroy a socket: `terminate()` starts a close if none has begun
 *   and tells the gateway at once that the socket is gone.
 */
export function denoRuntime(opts: DenoRuntimeOptions): RuntimePieces {
  const idleTimeout = (2 * opts.wsPingIntervalMs) / 1000;
  const reporters = new WeakMap<WebSocket, ReportClose>();

  return {
    upgrade: (c, events) => {
      let closed = false;
      let refusing = false;
      const report = (ws: WSContext<WebSocket>): ReportClose => (code, reason) => {
        if (closed) return;
        closed = true;
        events.onClose?.(new CloseEvent('close', { code, reason }), ws as WSContext<unknown>);
      };
      return upgradeDeno(
        c,
        {
          onOpen: (event, ws) => {
            reporters.set(ws.raw!, report(ws));
            events.onOpen?.(event, ws as WSContext<unknown>);
          },
          onMessage: (event, ws) => {
            if (closed || refusing) return;
            if (isTooBig(event.data, opts.maxMessageBytes)) {
              // Like `ws`: close 1009 and read nothing more from this socket.
              refusing = true;
              ws.raw!.close(CloseCode.MESSAGE_TOO_BIG, CLOSE_REASONS[CloseCode.MESSAGE_TOO_BIG]);
              return;
            }
            events.onMessage?.(event, ws as WSContext<unknown>);
          },
          onClose: (event, ws) => report(ws)(event.code, event.reason),
          onError: (event, ws) => events.onError?.(event, ws as WSContext<unknown>),
        },
        { idleTimeout },
      );
    },
    wrapSocket: (ws: WSContext<unknown>): ClientSocket => {
      const raw = ws.raw as WebSocket;
      raw.binaryType = 'arraybuffer';
      return new DenoClientSocket(raw, reporters);
    },
  };
}

/** A Deno socket as the gateway sees it; methods on the prototype, not closures per socket. */
class DenoClientSocket implements ClientSocket {
  constructor(
    private readonly raw: WebSocket,
    private readonly reporters: WeakMap<WebSocket, ReportClose>,
  ) {}

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
    this.reporters.get(this.raw)?.(1006, '');
  }

  get bufferedAmount(): number {
    return this.raw.bufferedAmount;
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
            resolve({ url: `http://${host}:${(addr as Deno.NetAddr).port}`, close: () => server.shutdown() });
          },
        },
        (request, info) => app.fetch(request, info),
      );
    } catch (error) {
      reject(error);
    }
  });
}
