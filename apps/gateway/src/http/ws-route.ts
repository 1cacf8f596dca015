import type { Context } from 'hono';
import { SESSION_ID_PATTERN } from '@agent-gateway/protocol';
import type { GatewayConfig } from '../config.ts';
import { GatewayError, toHttpResponse } from '../errors.ts';
import { loggers, redactUrl } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ClientSocket, SocketHandler } from '../session/client-socket.ts';
import type { Connection } from '../session/connection.ts';
import type { SessionManager } from '../session/session-manager.ts';

/**
 * The runtime's WebSocket upgrade (runtime/node: node-server's; runtime/deno:
 * `Deno.upgradeWebSocket`): answers the handshake and reports the socket's
 * life to `handler`.
 */
export type Upgrade = (c: Context, handler: SocketHandler) => Response | Promise<Response>;

/** Checks a request may open a socket for `sessionId`; returns the refusal, if any (protocol.md §9). */
export type Authenticate = (c: Context, sessionId: string) => Promise<GatewayError | undefined> | GatewayError | undefined;

export interface WsRouteDeps {
  config: GatewayConfig;
  sessions: SessionManager;
  metrics: GatewayMetrics;
  upgrade: Upgrade;
  authenticate?: Authenticate;
}

const WS_PREFIX = '/ws/';

/** `GET /ws/{session_id}`: the upgrade checks of protocol.md §1, in order, then the socket's events. */
export function createWsHandler(deps: WsRouteDeps) {
  const log = loggers.session();
  const refuse = (error: GatewayError, c: Context) => {
    deps.metrics.errorsTotal.inc({ code: error.code });
    log.info('upgrade refused', { code: error.code, url: redactUrl(c.req.url), origin: c.req.header('origin') });
    return toHttpResponse(error as GatewayError & { code: 'invalid_session_id' });
  };

  const accept = (c: Context, sessionId: string): Response | Promise<Response> => {
    if (deps.sessions.shuttingDown) return refuse(new GatewayError('shutting_down', 'the gateway is shutting down'), c);
    if (deps.sessions.openConnections >= deps.config.maxConnections) {
      return refuse(new GatewayError('server_busy', 'the gateway has too many open connections; try again later'), c);
    }
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return toHttpResponse(new GatewayError('invalid_message', 'this endpoint needs a WebSocket upgrade'), 426);
    }
    return deps.upgrade(c, new RouteSocketHandler(sessionId, deps.sessions, log));
  };

  return (c: Context): Response | Promise<Response> => {
    // The raw path, still percent-encoded: `%2F` or `%20` must not sneak into an id.
    const path = pathOf(c.req.url);
    const sessionId = path.startsWith(WS_PREFIX) ? path.slice(WS_PREFIX.length) : '';
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      return refuse(new GatewayError('invalid_session_id', 'session_id must be one path segment of 1-128 characters of [A-Za-z0-9._:-]'), c);
    }
    const denied = deps.authenticate?.(c, sessionId);
    // Without client auth (or with a synchronous check) the upgrade needs no await.
    if (denied instanceof Promise) return denied.then((error) => (error === undefined ? accept(c, sessionId) : refuse(error, c)));
    return denied === undefined ? accept(c, sessionId) : refuse(denied, c);
  };
}

/**
 * The path of an absolute URL as the runtime serialized it (dot segments
 * resolved, percent-encoding kept), without building a `URL`.
 */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start < 0) return '/';
  let end = start;
  while (end < url.length) {
    const code = url.charCodeAt(end);
    if (code === 63 /* ? */ || code === 35 /* # */) break;
    end++;
  }
  return url.slice(start, end);
}

/** One accepted socket's events, handed to the `SessionManager`; a throw is logged, never left to the runtime. */
class RouteSocketHandler implements SocketHandler {
  #connection: Connection | undefined;

  constructor(
    private readonly sessionId: string,
    private readonly sessions: SessionManager,
    private readonly log: ReturnType<typeof loggers.session>,
  ) {}

  open(socket: ClientSocket): void {
    try {
      this.#connection = this.sessions.open(this.sessionId, socket);
    } catch (error) {
      this.#failed('open', error);
    }
  }

  message(data: string | ArrayBuffer | Uint8Array): void {
    if (this.#connection === undefined) return;
    try {
      this.sessions.message(this.#connection, data);
    } catch (error) {
      this.#failed('message', error);
    }
  }

  close(code: number, reason: string): void {
    if (this.#connection === undefined) return;
    try {
      this.sessions.closed(this.#connection, code, reason);
    } catch (error) {
      this.#failed('close', error);
    }
  }

  pong(): void {
    if (this.#connection !== undefined) this.sessions.pong(this.#connection);
  }

  error(error: unknown): void {
    this.log.debug('socket error', { session_id: this.sessionId, error: String(error) });
  }

  #failed(what: string, error: unknown): void {
    this.log.error(`${what} failed`, { session_id: this.sessionId, error });
  }
}
