import { CLOSE_REASONS, CloseCode, PROTOCOL_VERSION } from '@agent-gateway/protocol';
import type { AgentClient } from '../agent/agent-client.ts';
import type { GatewayConfig } from '../config.ts';
import type { GatewayError } from '../errors.ts';
import { clip, describeCause, loggers } from '../observability/logger.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { createRedactor, createTextRedactor, type RedactingStringify } from '../observability/redact.ts';
import type { ClientSocket } from './client-socket.ts';
import { Connection } from './connection.ts';
import { Session, type SessionHooks } from './session.ts';
import type { Turn } from './turn.ts';
import { TurnStarts } from './turn-starts.ts';

/** Who opened a socket, for the log: the peer's address and `X-Forwarded-For` as sent (not trusted, not checked). */
export interface ClientOrigin {
  client_address?: string;
  forwarded_for?: string;
}

/** Gateway error codes that say the agent (or the gateway itself) failed a turn, not the client. */
const AGENT_SIDE_CODES: ReadonlySet<string> = new Set([
  'agent_unavailable',
  'agent_auth_failed',
  'agent_rejected',
  'agent_rate_limited',
  'agent_timeout',
  'agent_protocol_error',
  'agent_stream_interrupted',
  'internal_error',
]);

/** See `maxHeldBytes` below. */
const HELD_SLACK_BYTES = 16 * 1024 * 1024;

export interface SessionManagerDeps {
  config: GatewayConfig;
  agent: AgentClient;
  metrics: GatewayMetrics;
  newRequestId?: () => string;
  /** Made by the manager when not given (tests give one whose turns of the loop they run). */
  turnStarts?: TurnStarts;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Owns every session and connection: one session per `session_id`, takeover
 * with close 4001, liveness pings, slow consumers, and graceful shutdown.
 */
export class SessionManager {
  readonly #sessions = new Map<string, Session>();
  readonly #connections = new Set<Connection>();
  readonly #deps: SessionManagerDeps;
  readonly #stringify: RedactingStringify | undefined;
  readonly #redactText: ((json: string) => string) | undefined;
  readonly #sessionLog = loggers.session();
  readonly #turnLog = loggers.turn();
  #shuttingDown = false;
  readonly #stopping = new AbortController();
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  readonly #turnStarts: TurnStarts;

  constructor(deps: SessionManagerDeps) {
    this.#deps = deps;
    this.#turnStarts = deps.turnStarts ?? new TurnStarts();
    this.#stringify = createRedactor(deps.config);
    this.#redactText = createTextRedactor(deps.config);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Aborted when shutdown starts: work that is not a turn (a `/ready` probe) stops then. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  /** A socket was accepted for `sessionId`: takes the session over if another socket holds it. */
  open(sessionId: string, socket: ClientSocket, client?: ClientOrigin): Connection {
    const { config, metrics } = this.#deps;
    const connection = new Connection(
      sessionId,
      socket,
      {
        maxBufferedBytes: config.maxBufferedBytes,
        slowClientTimeoutMs: config.slowClientTimeoutMs,
        // Far past what a client that reads ever holds: the limit, one upstream chunk's frames
        // (a 64 KiB chunk of small events makes some 260 KB of frames), an agent event, an answer
        // to a client frame, and room for a burst of pings its reader has not caught up with.
        maxHeldBytes: config.maxBufferedBytes + config.maxEventBytes + config.maxMessageBytes + HELD_SLACK_BYTES,
      },
      (slow) => this.#onSlowConsumer(slow),
      this.#stringify,
      this.#redactText,
    );
    this.#connections.add(connection);
    try {
      metrics.openConnections.set(this.#connections.size);
      metrics.connectionsTotal.inc();

      let session = this.#sessions.get(sessionId);
      if (session === undefined) {
        session = this.#createSession(sessionId);
        this.#sessions.set(sessionId, session);
      }
      const previous = session.connection;
      if (previous !== undefined) {
        // Said first: the lines of the turns it ends follow.
        this.#sessionLog.info('session taken over', { session_id: sessionId, connection_id: connection.id, previous_connection_id: previous.id });
        session.detach(previous, { takeover: true });
        previous.close(CloseCode.SESSION_TAKEN_OVER);
      }
      session.attach(connection);
      connection.send({ type: 'session_started', session_id: sessionId, protocol_version: PROTOCOL_VERSION });
      this.#sessionLog.info('connection opened', { session_id: sessionId, connection_id: connection.id, open_connections: this.#connections.size, ...client });
      this.#ensurePinging();
      // Upgraded before shutdown began but opened after it (Deno opens after the 101): closed as any idle socket is.
      if (this.#shuttingDown) session.beginShutdown();
      return connection;
    } catch (error) {
      // Not left counted (open, under MAX_CONNECTIONS) or attached: the route closes its socket with 1011.
      this.closed(connection, CloseCode.INTERNAL_ERROR, CLOSE_REASONS[CloseCode.INTERNAL_ERROR], true);
      if (this.#sessions.get(sessionId)?.isIdle) this.#sessions.delete(sessionId);
      throw error;
    }
  }

  message(connection: Connection, data: string | ArrayBuffer | Uint8Array): void {
    const session = this.#sessions.get(connection.sessionId);
    if (session === undefined) return;
    if (typeof data === 'string') session.handleText(connection, data);
    else session.handleBinary(connection);
  }

  /** The runtime reported the socket closed (any reason; `byGateway`: the runtime closed it on the gateway's behalf). */
  closed(connection: Connection, code?: number, reason?: string, byGateway = false): void {
    if (!this.#connections.delete(connection)) return;
    const by = byGateway || connection.closedByGateway ? 'gateway' : 'client';
    connection.markClosed(code);
    this.#deps.metrics.openConnections.set(this.#connections.size);
    this.#deps.metrics.connectionsClosed.inc({ code: closeCodeLabel(connection.closeCode ?? code ?? 1005), by });
    this.#sessions.get(connection.sessionId)?.detach(connection, { takeover: false });
    this.#sessionLog.info('connection closed', {
      session_id: connection.sessionId,
      connection_id: connection.id,
      code: connection.closeCode ?? code,
      reason: reason || undefined,
      by,
      frames_sent: connection.framesSent,
      duration_ms: round(performance.now() - connection.openedAt),
    });
    if (this.#connections.size === 0) this.#stopPinging();
  }

  pong(connection: Connection): void {
    connection.unansweredPings = 0;
  }

  /**
   * Graceful shutdown (protocol.md §8): queued and new turns get
   * `shutting_down`; in-flight turns may finish until the deadline; each
   * socket closes with 1001 once it has no turn left. Resolves when every
   * socket is closed.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#shuttingDown = true;
    this.#stopping.abort();
    this.#sessionLog.info('shutting down', { open_connections: this.#connections.size, grace_ms: graceMs });
    for (const session of this.#sessions.values()) session.beginShutdown();
    // Queues are empty now and new turns refused: a session settles when its in-flight turn is over.
    if (graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...this.#sessions.values()].map((session) => session.settled)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    for (const session of this.#sessions.values()) session.forceShutdown();
    // Until none is left: a socket that opens meanwhile (upgraded before shutdown, opened after it:
    // Deno opens after the 101) is closed as it opens, and waited for in the next pass.
    for (let closing = [...this.#connections]; closing.length > 0; closing = [...this.#connections]) {
      for (const connection of closing) connection.close(CloseCode.GOING_AWAY);
      await Promise.all(closing.map((c) => c.closed));
      // A socket destroyed when its closing handshake ran out of time is closed now, but the runtime
      // reports it a moment later, when the process may have exited: reported here, logged and counted.
      for (const connection of closing) if (this.#connections.has(connection)) this.closed(connection, 1006);
    }
    await Promise.all([...this.#sessions.values()].map((s) => s.settled));
    this.#stopPinging();
  }

  /** One hooks object for every session (not a set of closures per session: idle sockets are many). */
  #hooks: SessionHooks | undefined;

  #createSession(sessionId: string): Session {
    const { config, agent, metrics } = this.#deps;
    this.#hooks ??= {
      agent,
      maxQueuedMessages: config.maxQueuedMessages,
      buffer: { flushMs: config.tokenBufferFlushMs, maxChars: config.tokenBufferMaxChars },
      isShuttingDown: () => this.#shuttingDown,
      newRequestId: this.#deps.newRequestId ?? (() => crypto.randomUUID()),
      onTurnQueued: () => metrics.activeTurns.inc(),
      takeTurnStart: () => this.#turnStarts.take(),
      onTurnEnd: (session, turn) => this.#onTurnEnd(session, turn),
      onTurnRefused: (session, connection, requestId, kind, error, bytes) => {
        const outcome = `error:${error.code}`;
        const frames = bytes > 0 ? 1 : 0;
        metrics.turnsTotal.inc({ outcome });
        metrics.framesRelayed.inc(frames);
        metrics.bytesRelayed.inc(bytes);
        // The same fields as any turn's line: it ended as soon as it came, with its error frame.
        this.#turnLog.info('turn ended', {
          session_id: session.sessionId,
          connection_id: connection.id,
          request_id: requestId,
          kind,
          outcome,
          duration_ms: 0,
          events: 0,
          frames,
          bytes,
          error_code: error.code,
          error: error.message,
        });
      },
      onError: (connection, error) => {
        metrics.errorsTotal.inc({ code: error.code });
        // A client's mistake: debug, so a client sending bad frames in a loop does not flood the log.
        this.#sessionLog.debug('frame refused', () => ({ session_id: connection.sessionId, connection_id: connection.id, code: error.code, error: error.message }));
      },
      onIdle: (session) => {
        if (this.#sessions.get(session.sessionId) === session && session.isIdle) this.#sessions.delete(session.sessionId);
      },
    };
    return new Session(sessionId, this.#hooks);
  }

  #onTurnEnd(session: Session, turn: Turn): void {
    const { metrics } = this.#deps;
    metrics.activeTurns.dec();
    const outcome = turn.outcome ?? 'disconnected';
    metrics.turnsTotal.inc({ outcome });
    if (outcome.startsWith('error:')) metrics.errorsTotal.inc({ code: outcome.slice(6) });
    metrics.framesRelayed.inc(turn.framesSent);
    metrics.bytesRelayed.inc(turn.bytesSent);
    const ttfe = turn.firstEventAt !== undefined && turn.startedAt !== undefined ? turn.firstEventAt - turn.startedAt : undefined;
    if (ttfe !== undefined) metrics.timeToFirstEvent.observe(ttfe / 1000);
    // A failure on the agent's side (or ours) is for the people who run the gateway: warn, with
    // what failed. A client's doing (cancel, disconnect, a refused tool_result) stays at info.
    const failure = turn.failure;
    const agentSide = failure !== undefined && (outcome === 'agent_error' || AGENT_SIDE_CODES.has(failure.code));
    // A bug of the gateway's own: error, with what was thrown (its stack included).
    const level = failure?.code === 'internal_error' ? 'error' : agentSide ? 'warn' : 'info';
    this.#turnLog[level]('turn ended', {
      session_id: session.sessionId,
      connection_id: turn.connection.id,
      request_id: turn.requestId,
      kind: turn.message.type,
      outcome,
      taken_over: turn.takenOver || undefined,
      duration_ms: round(performance.now() - turn.receivedAt),
      queued_ms: turn.startedAt === undefined ? undefined : round(turn.startedAt - turn.receivedAt),
      time_to_first_event_ms: ttfe === undefined ? undefined : round(ttfe),
      events: turn.eventsReceived,
      frames: turn.framesSent,
      bytes: turn.bytesSent,
      error_code: failure?.code,
      // The frame has it whole; an agent's message may be megabytes, too much for one log line.
      error: failure === undefined ? undefined : clip(failure.message),
      // What the runtime reported (the frame says less: Deno's fetch errors name the agent's URL);
      // for a bug of the gateway's own, the error itself, stack included.
      cause: failure?.cause === undefined ? undefined : failure.code === 'internal_error' ? failure.cause : describeCause(failure.cause),
    });
  }

  #onSlowConsumer(connection: Connection): void {
    this.#sessionLog.warn('slow consumer: closing', {
      session_id: connection.sessionId,
      connection_id: connection.id,
      buffered_bytes: connection.socket.bufferedAmount,
    });
    connection.close(CloseCode.POLICY_VIOLATION, 'slow_consumer');
    this.#sessions.get(connection.sessionId)?.detach(connection, { takeover: false });
  }

  #ensurePinging(): void {
    const interval = this.#deps.config.wsPingIntervalMs;
    if (interval <= 0 || this.#pingTimer !== undefined) return;
    this.#pingTimer = setInterval(() => this.#pingAll(), interval);
    (this.#pingTimer as { unref?: () => void }).unref?.();
  }

  #stopPinging(): void {
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  /**
   * One timer for every socket (y-websocket's pong flag, with two intervals of grace): a socket
   * is dropped at the tick after two of its pings went unanswered, so each pong has two intervals
   * from its ping. Counted in ticks, not time: a tick run late by a busy loop counts once.
   */
  #pingAll(): void {
    for (const connection of this.#connections) {
      const ping = connection.socket.ping;
      if (ping === undefined || !connection.isOpen) continue;
      if (connection.unansweredPings >= 2) {
        this.#sessionLog.info('no pong: dropping connection', { session_id: connection.sessionId, connection_id: connection.id });
        connection.terminate();
        this.closed(connection, 1006);
        continue;
      }
      connection.unansweredPings++;
      try {
        ping.call(connection.socket);
      } catch {
        // closing already
      }
    }
  }
}

/** Close codes the gateway or a runtime reports; any other (a client may close with any) is `other`, so the series stay few. */
const CLOSE_CODE_LABELS: ReadonlySet<number> = new Set([1000, 1001, 1002, 1005, 1006, 1007, 1008, 1009, 1011, 4001]);
const closeCodeLabel = (code: number): string => (CLOSE_CODE_LABELS.has(code) ? String(code) : 'other');
