import type { Context } from 'hono';
import { CLOSE_REASONS, CloseCode, isSessionId, SESSION_ID_PATTERN } from '@agent-gateway/protocol';
import type { GatewayConfig } from '../config.ts';
import { GatewayError, toHttpResponse } from '../errors.ts';
import { clip, loggers, redactJwts, redactUrl } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ClientSocket, SocketHandler } from '../session/client-socket.ts';
import type { Connection } from '../session/connection.ts';
import type { ClientOrigin, SessionManager } from '../session/session-manager.ts';

/**
 * The runtime's WebSocket upgrade (runtime/node: node-server's; runtime/deno:
 * `Deno.upgradeWebSocket`): answers the handshake and reports the socket's
 * life to `handler`.
 */
export type Upgrade = (c: Context, handler: SocketHandler) => Response | Promise<Response>;

/** Checks a request may open a socket for `sessionId`; returns the refusal, if any (protocol.md §9). */
export type Authenticate = (c: Context, sessionId: string) => Promise<GatewayError | undefined> | GatewayError | undefined;

/** The request target (path and query) as the client sent it, if the runtime's URL may differ from it. */
export type RequestTarget = (c: Context) => string | undefined;

/** The address of the client's end of the connection (a proxy's, behind one), as the runtime knows it. */
export type ClientAddress = (c: Context) => string | undefined;

/** Longest `X-Forwarded-For` logged: a header is the client's to fill. */
const FORWARDED_FOR_LOG_CHARS = 256;

/** The log fields naming who asked: absent ones are left out. */
export function clientOrigin(address: string | undefined, forwardedFor: string | undefined): ClientOrigin {
  const origin: ClientOrigin = {};
  if (address) origin.client_address = address;
  if (forwardedFor) origin.forwarded_for = forwardedFor.slice(0, FORWARDED_FOR_LOG_CHARS);
  return origin;
}

export interface WsRouteDeps {
  config: GatewayConfig;
  sessions: SessionManager;
  metrics: GatewayMetrics;
  upgrade: Upgrade;
  requestTarget?: RequestTarget;
  clientAddress?: ClientAddress;
  /** Sockets open (or fail) before the next request is handled (Node): no place is held for them. */
  opensAtOnce?: boolean;
  /** Sockets let go of but still open in the runtime (Deno): they count under MAX_CONNECTIONS. */
  lingeringSockets?: () => number;
  authenticate?: Authenticate;
}

const WS_PREFIX = '/ws/';

/** RFC 6455 §4.4: the versions a handshake of another is told the gateway speaks (`ws`'s, which the Deno adapter accepts too). */
export const SUPPORTED_WS_VERSIONS = '13, 8';

/**
 * The subprotocol the handshake answers with: the protocol defines none, so it
 * is the first one the client offers (a browser fails a handshake that offered
 * some and got none), but never one that carries a credential: clients put
 * their token there (`base64url.bearer.authorization.k8s.io.<token, base64url>`,
 * a JWT as it is), and no response carries a client token (§1). Undefined: none.
 */
export function chooseSubprotocol(offered: Iterable<string>): string | undefined {
  for (const protocol of offered) if (protocol !== '' && !carriesCredential(protocol)) return protocol;
  return undefined;
}

/** Words that name a credential in a subprotocol. */
const CREDENTIAL_WORDS = /bearer|authori[sz]ation|access[_-]?token|jwt/i;

/** A credential's name, a JWT, or a dotted part that decodes (base64url) to text holding a JWT. */
function carriesCredential(protocol: string): boolean {
  if (CREDENTIAL_WORDS.test(protocol) || redactJwts(protocol) !== protocol) return true;
  for (const part of protocol.split('.')) {
    if (part.length < 16 || !/^[A-Za-z0-9_-]+$/.test(part) || part.length % 4 === 1) continue;
    const decoded = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    if (redactJwts(decoded) !== decoded) return true;
  }
  return false;
}
/** A Sec-WebSocket-Key: 16 bytes in base64 (RFC 6455 §4.2.1); two keys, joined with ", ", are not one. */
const WEBSOCKET_KEY = /^[A-Za-z0-9+/]{22}==$/;
/** `server_busy` refusals are logged at warn at most this often; the others in between at info. */
const BUSY_WARN_EVERY_MS = 10_000;

/** The refusal of a `/ws/…` path whose session id is not one valid segment (§1). */
export const invalidSessionId = () =>
  new GatewayError('invalid_session_id', 'session_id must be one path segment of 1-128 characters of [A-Za-z0-9._:-]') as GatewayError & {
    code: 'invalid_session_id';
  };

/**
 * Longest an accepted upgrade holds a place under the connection limit before
 * its socket opens (milliseconds, normally). A client that leaves before its
 * 101 may never be reported, on Deno: its place comes back after this.
 */
export const UPGRADE_OPEN_TIMEOUT_MS = 5000;

/**
 * Upgrades accepted whose socket has not opened yet. Deno opens a socket
 * only after its 101 has gone out, so without this, upgrades arriving
 * together would all pass the `GATEWAY__MAX_CONNECTIONS` check (§1). Node
 * opens it (or fails the handshake) before it handles another request, so
 * there nothing is held: a handshake `ws` refuses would hold its place.
 */
class OpeningUpgrades {
  count = 0;

  /** Holds a place until `handler` settles it (open, close or error), or the timeout passes. */
  reserve(handler: RouteSocketHandler): void {
    this.count++;
    const timer = setTimeout(() => handler.settle(), UPGRADE_OPEN_TIMEOUT_MS);
    (timer as { unref?: () => void }).unref?.();
    handler.pending = { gate: this, timer };
  }
}

/** `GET /ws/{session_id}`: the upgrade checks of protocol.md §1, in order, then the socket's events. */
export function createWsHandler(deps: WsRouteDeps) {
  const log = loggers.session();
  const opening = new OpeningUpgrades();
  let lastBusyWarning = -Infinity;
  const originOf = (c: Context) => clientOrigin(deps.clientAddress?.(c), c.req.header('x-forwarded-for'));
  const noteRefusal = (code: string, c: Context, reason?: string) => {
    deps.metrics.errorsTotal.inc({ code });
    // The request target (path and query) on every runtime, as sent where the runtime rebuilt
    // the URL: `/ws/../health` is logged as that, not as `/health`. With why (the client's
    // message: no token in it) and the session id, when it is one.
    const target = deps.requestTarget?.(c) ?? targetOf(c.req.url);
    // A gateway at its limit is a capacity problem: warn, so GATEWAY__LOG_LEVEL=warning shows it,
    // at most once every BUSY_WARN_EVERY_MS (a storm of reconnects would flood the log).
    const now = Date.now();
    const warn = code === 'server_busy' && now - lastBusyWarning >= BUSY_WARN_EVERY_MS;
    if (warn) lastBusyWarning = now;
    logUpgradeRefusal(warn ? 'warn' : 'info', { code, reason, target, origin: c.req.header('origin'), client: originOf(c) });
  };
  const refuse = (error: GatewayError, c: Context, status?: number) => {
    noteRefusal(error.code, c, error.message);
    return status === undefined ? toHttpResponse(error as ReturnType<typeof invalidSessionId>) : toHttpResponse(error, status);
  };
  // The runtime refused the handshake itself (a malformed one): an `invalid_message` refusal too.
  const noted = (c: Context) => (response: Response) => {
    if (response.status >= 300) noteRefusal('invalid_message', c, `not a WebSocket handshake the runtime accepts (HTTP ${response.status})`);
    return response;
  };

  const accept = (c: Context, sessionId: string): Response | Promise<Response> => {
    if (deps.sessions.shuttingDown) return refuse(new GatewayError('shutting_down', 'the gateway is shutting down'), c);
    if (deps.sessions.openConnections + opening.count + (deps.lingeringSockets?.() ?? 0) >= deps.config.maxConnections) {
      return refuse(new GatewayError('server_busy', 'the gateway has too many open connections; try again later'), c);
    }
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return refuse(new GatewayError('invalid_message', 'this endpoint needs a WebSocket upgrade'), c, 426);
    }
    // RFC 6455 §4.2.1: `ws` refuses a key that is not 16 bytes in base64, Deno's server does not.
    // A missing key is left to the runtime's handshake (both refuse it).
    const key = c.req.header('sec-websocket-key');
    if (key !== undefined && !WEBSOCKET_KEY.test(key.trim())) {
      return refuse(new GatewayError('invalid_message', 'not a valid WebSocket handshake: Sec-WebSocket-Key must be 16 bytes in base64'), c, 400);
    }
    const handler = new RouteSocketHandler(sessionId, deps.sessions, log, originOf(c));
    if (deps.opensAtOnce) {
      const answer = deps.upgrade(c, handler);
      return answer instanceof Promise ? answer.then(noted(c)) : noted(c)(answer);
    }
    opening.reserve(handler);
    let answer: Response | Promise<Response>;
    try {
      answer = deps.upgrade(c, handler);
    } catch (error) {
      handler.settle();
      throw error;
    }
    // A refused handshake (400, 426…) opens no socket.
    const settleIfRefused = (response: Response) => {
      if (response.status >= 300) handler.settle();
      return noted(c)(response);
    };
    return answer instanceof Promise
      ? answer.then(settleIfRefused, (error: unknown) => {
          handler.settle();
          throw error;
        })
      : settleIfRefused(answer);
  };

  return (c: Context): Response | Promise<Response> => {
    // The raw path, still percent-encoded: `%2F` or `%20` must not sneak into an id,
    // nor `/a/../` into another session's (node-server resolves dot segments in the URL).
    const target = deps.requestTarget?.(c);
    const path = target === undefined ? pathOf(c.req.url) : pathOfTarget(target);
    const sessionId = path.startsWith(WS_PREFIX) ? path.slice(WS_PREFIX.length) : '';
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      return refuse(invalidSessionId(), c);
    }
    // A Host header no URL can be made of (`a b`), or with userinfo (`user@host`, RFC 9110 §7.2
    // has none): node-server refuses it before the app, Deno hands it on.
    if (!URL.canParse(c.req.url) || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(c.req.url)) {
      return refuse(new GatewayError('invalid_message', 'the upgrade request has a request target or Host header that cannot be parsed'), c, 400);
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
  return pathOfTarget(targetOf(url));
}

/** The request target of an absolute URL (`/ws/x?q`): what follows its authority. */
export function targetOf(url: string): string {
  for (let i = url.indexOf('://') + 3; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 47 /* / */) return url.slice(i);
    if (code === 63 /* ? */ || code === 35 /* # */) return `/${url.slice(i)}`;
  }
  return '/';
}

/** The session id an upgrade's request target names, when it is a valid one (for the log). */
export function sessionIdOfTarget(target: string): string | undefined {
  const path = pathOfTarget(target);
  const id = path.startsWith(WS_PREFIX) ? path.slice(WS_PREFIX.length) : undefined;
  return isSessionId(id) ? id : undefined;
}

/** The path of a request target (`/ws/x?q`), as written: up to its query or fragment. */
export function pathOfTarget(target: string): string {
  let end = 0;
  while (end < target.length) {
    const code = target.charCodeAt(end);
    if (code === 63 /* ? */ || code === 35 /* # */) break;
    end++;
  }
  return target.slice(0, end);
}

/** The line of a refused upgrade, as the route and a runtime adapter (an upgrade refused before the route) write it. */
export function logUpgradeRefusal(
  level: 'info' | 'warn',
  refusal: { code: string; reason?: string; target: string; origin: string | undefined; client: ClientOrigin },
): void {
  loggers.session()[level]('upgrade refused', {
    code: refusal.code,
    reason: refusal.reason,
    session_id: sessionIdOfTarget(refusal.target),
    // Tokens out before the cut: a token cut in two no longer looks like one.
    url: clip(redactJwts(redactUrl(refusal.target))),
    origin: refusal.origin,
    ...refusal.client,
  });
}

/** One accepted socket's events, handed to the `SessionManager`; a throw is logged, never left to the runtime. */
export class RouteSocketHandler implements SocketHandler {
  #connection: Connection | undefined;
  /** The place this upgrade holds under the connection limit until its socket opens. */
  pending: { gate: OpeningUpgrades; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly sessionId: string,
    private readonly sessions: SessionManager,
    private readonly log: ReturnType<typeof loggers.session>,
    /** For the line that says the socket opened; let go of then (idle sockets are many). */
    private client: ClientOrigin | undefined,
  ) {}

  /** Gives the place back: the socket opened (and counts itself now), or never will. */
  settle(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.gate.count--;
  }

  open(socket: ClientSocket): void {
    this.settle();
    try {
      const client = this.client;
      this.client = undefined;
      this.#connection = this.sessions.open(this.sessionId, socket, client);
    } catch (error) {
      this.#failed('open', error);
      // A socket with no session would hold its place until the client left: closed, as a fault of ours.
      try {
        socket.close(CloseCode.INTERNAL_ERROR, CLOSE_REASONS[CloseCode.INTERNAL_ERROR]);
      } catch (closeError) {
        this.#failed('close', closeError);
      }
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

  close(code: number, reason: string, byGateway = false): void {
    this.settle();
    if (this.#connection === undefined) return;
    try {
      this.sessions.closed(this.#connection, code, reason, byGateway);
    } catch (error) {
      this.#failed('close', error);
    }
  }

  pong(): void {
    if (this.#connection !== undefined) this.sessions.pong(this.#connection);
  }

  error(error: unknown): void {
    this.settle();
    this.log.debug('socket error', { session_id: this.sessionId, connection_id: this.#connection?.id, error: String(error) });
  }

  #failed(what: string, error: unknown): void {
    this.log.error(`${what} failed`, { session_id: this.sessionId, connection_id: this.#connection?.id, error });
  }
}
