import type { Context } from 'hono';
import type { WSContext, WSEvents } from 'hono/ws';
import { SESSION_ID_PATTERN } from '@agent-gateway/protocol';
import type { GatewayConfig } from '../config.ts';
import { GatewayError, toHttpResponse } from '../errors.ts';
import { loggers, redactUrl } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ClientSocket } from '../session/client-socket.ts';
import type { Connection } from '../session/connection.ts';
import type { SessionManager } from '../session/session-manager.ts';

/** The runtime's WebSocket upgrade (hono's `upgradeWebSocket` of node-server or hono/deno). */
export type Upgrade = (c: Context, events: WSEvents<unknown>) => Response | Promise<Response>;
/** Wraps the runtime's socket; `onPong` is called for each WebSocket pong. */
export type WrapSocket = (ws: WSContext<unknown>, onPong: () => void) => ClientSocket;

/** Checks a request may open a socket for `sessionId`; returns the refusal, if any (protocol.md §9). */
export type Authenticate = (c: Context, sessionId: string) => Promise<GatewayError | undefined> | GatewayError | undefined;

export interface WsRouteDeps {
  config: GatewayConfig;
  sessions: SessionManager;
  metrics: GatewayMetrics;
  upgrade: Upgrade;
  wrapSocket: WrapSocket;
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

  return async (c: Context): Promise<Response> => {
    // The raw path, still percent-encoded: `%2F` or `%20` must not sneak into an id.
    const path = new URL(c.req.url).pathname;
    const sessionId = path.startsWith(WS_PREFIX) ? path.slice(WS_PREFIX.length) : '';
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      return refuse(new GatewayError('invalid_session_id', 'session_id must be one path segment of 1-128 characters of [A-Za-z0-9._:-]'), c);
    }
    const denied = await deps.authenticate?.(c, sessionId);
    if (denied !== undefined) return refuse(denied, c);
    if (deps.sessions.shuttingDown) return refuse(new GatewayError('shutting_down', 'the gateway is shutting down'), c);
    if (deps.sessions.openConnections >= deps.config.maxConnections) {
      return refuse(new GatewayError('server_busy', 'the gateway has too many open connections; try again later'), c);
    }
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return toHttpResponse(new GatewayError('invalid_message', 'this endpoint needs a WebSocket upgrade'), 426);
    }

    let connection: Connection | undefined;
    const guard = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        log.error(`${what} failed`, { session_id: sessionId, error });
      }
    };
    return deps.upgrade(c, {
      onOpen: (_event, ws) =>
        guard('open', () => {
          const socket = deps.wrapSocket(ws, () => connection && deps.sessions.pong(connection));
          connection = deps.sessions.open(sessionId, socket);
        }),
      onMessage: (event, _ws) =>
        guard('message', () => {
          if (connection) deps.sessions.message(connection, event.data as string | ArrayBuffer);
        }),
      onClose: (event, _ws) =>
        guard('close', () => {
          if (connection) deps.sessions.closed(connection, event.code, event.reason);
        }),
      onError: (event, _ws) => {
        log.debug('socket error', { session_id: sessionId, error: String((event as ErrorEvent).error ?? event.type) });
      },
    });
  };
}
