import {
  CloseCode,
  isRequestId,
  parseClientMessage,
  type AgentMessage,
  type ClientMessage,
  type ParseFailure,
} from '@agent-gateway/protocol';
import type { AgentClient, UpstreamDrain } from '../agent/agent-client.ts';
import { GatewayError, toErrorFrame, toGatewayError } from '../errors.ts';
import { loggers } from '../observability/logger.ts';
import { runTurn } from '../relay/turn-runner.ts';
import type { Connection } from './connection.ts';
import { TurnQueue } from './turn-queue.ts';
import { Turn, type TurnBufferOptions } from './turn.ts';

export interface SessionHooks {
  agent: AgentClient;
  maxQueuedMessages: number;
  buffer: TurnBufferOptions;
  isShuttingDown(): boolean;
  newRequestId(): string;
  onTurnQueued(): void;
  /** Whether the session's next turn may start now (`undefined`), or a promise of when it may (`TurnStarts.take`). */
  takeTurnStart(): Promise<void> | undefined;
  onTurnEnd(session: Session, turn: Turn): void;
  /** A turn refused before it was queued (`shutting_down`, `queue_full`): its error was its terminal frame, of `bytes` (0: not sent). */
  onTurnRefused(session: Session, connection: Connection, requestId: string, kind: AgentMessageInput['type'], error: GatewayError, bytes: number): void;
  onError(connection: Connection, error: GatewayError): void;
  /** No connection and no turn left: the session may be forgotten. */
  onIdle(session: Session): void;
}

/**
 * One `session_id`: its current connection, its FIFO of turns and the
 * `tool_call_id`s the agent accepted. Turns run one at a time, so the agent
 * never sees two concurrent requests for one session (protocol.md §6).
 */
export class Session {
  connection: Connection | undefined;
  inflight: Turn | undefined;
  readonly queue: TurnQueue;
  /** Made on first use: most sessions never see a tool call, and idle sockets are many. */
  #acceptedToolCalls: Set<string> | undefined;
  #loop: Promise<void> | undefined;
  /** Requests of earlier turns still draining their bodies after the terminal event (§4); made on first use. */
  #draining: Set<UpstreamDrain> | undefined;
  /** A takeover aborted those drains: the session's next turn waits for their connections to close (§6). */
  #drainsAborted: Promise<unknown> | undefined;

  constructor(
    readonly sessionId: string,
    private readonly hooks: SessionHooks,
  ) {
    this.queue = new TurnQueue(hooks.maxQueuedMessages);
  }

  get isIdle(): boolean {
    return this.connection === undefined && this.#loop === undefined;
  }

  /** Resolves when no turn is running. */
  get settled(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }

  isToolCallAccepted(toolCallId: string): boolean {
    return this.#acceptedToolCalls?.has(toolCallId) ?? false;
  }

  markToolCallAccepted(toolCallId: string): void {
    (this.#acceptedToolCalls ??= new Set()).add(toolCallId);
  }

  attach(connection: Connection): void {
    this.connection = connection;
  }

  onDrain(drain: UpstreamDrain): void {
    const draining = (this.#draining ??= new Set());
    draining.add(drain);
    void drain.ended.then(() => draining.delete(drain));
  }

  /**
   * The connection is gone (closed, taken over, too slow): its turns end
   * without frames and the in-flight upstream request is aborted.
   * Accepted tool calls are kept across a takeover only.
   */
  detach(connection: Connection, opts: { takeover: boolean }): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (!opts.takeover) this.#acceptedToolCalls = undefined;
    for (const turn of this.queue.drain()) {
      turn.abandon(opts);
      this.hooks.onTurnEnd(this, turn);
    }
    if (this.inflight?.connection === connection) this.inflight.abandon(opts);
    // §6: the new socket's first turn reaches the agent only once the old request has ended,
    // aborted and its connection closed, even when it had only its body's drain left.
    if (opts.takeover && this.#draining !== undefined && this.#draining.size > 0) {
      const drains = [...this.#draining];
      for (const drain of drains) drain.abort();
      this.#drainsAborted = Promise.all(drains.map((drain) => drain.ended));
    }
    // On takeover the new connection attaches next: the session must not be forgotten.
    if (!opts.takeover && this.isIdle) this.hooks.onIdle(this);
  }

  /**
   * A text frame from the IDE (a throw is a fault of the gateway's: the route logs it). Frames
   * that come after the gateway sent its own close (shutdown, 1001) are dropped: nothing may be
   * sent after a Close frame (RFC 6455 §5.5.1), so they could neither run nor be refused, and are
   * not logged or counted as turns.
   */
  handleText(connection: Connection, text: string): void {
    if (connection !== this.connection || !connection.isOpen) return;
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return this.#refuse(connection, parsed);
    this.#handleMessage(connection, parsed.message, text);
  }

  /** Binary frames are not part of the protocol (§2). */
  handleBinary(connection: Connection): void {
    if (connection !== this.connection || !connection.isOpen) return;
    this.#sendError(
      connection,
      new GatewayError('invalid_message', 'binary frames are not supported; send JSON text frames'),
      undefined,
    );
  }

  /** Graceful shutdown: queued turns end with `shutting_down`; an idle socket closes with 1001. */
  beginShutdown(): void {
    for (const turn of this.queue.drain()) {
      turn.fail(new GatewayError('shutting_down', 'the gateway is shutting down; the turn did not run'));
      this.hooks.onTurnEnd(this, turn);
    }
    if (this.inflight === undefined || this.inflight.finished) this.connection?.close(CloseCode.GOING_AWAY);
  }

  /** Shutdown deadline: the in-flight turn ends with `shutting_down` and its upstream is aborted. */
  forceShutdown(): void {
    this.beginShutdown();
    this.inflight?.fail(new GatewayError('shutting_down', 'the gateway shut down before the turn finished'));
    this.connection?.close(CloseCode.GOING_AWAY);
  }

  #handleMessage(connection: Connection, message: ClientMessage, text: string): void {
    switch (message.type) {
      case 'ping': {
        const pong: Record<string, unknown> = { type: 'pong' };
        if (message.id !== undefined) pong.id = message.id;
        connection.send(pong);
        return;
      }
      case 'cancel':
        return this.#cancel(message.request_id);
      case 'user_message':
      case 'tool_result':
        return this.#startTurn(connection, message, text);
    }
  }

  #startTurn(connection: Connection, message: Extract<ClientMessage, { request_id?: string }> & AgentMessageInput, text: string): void {
    const given = message.request_id;
    if (given !== undefined && this.#isLive(given)) {
      return this.#sendError(
        connection,
        new GatewayError('invalid_message', `request_id ${JSON.stringify(given)} is already used by a turn of this session`, {
          details: { request_id: given },
        }),
        undefined,
      );
    }
    const requestId = given ?? this.hooks.newRequestId();
    if (this.hooks.isShuttingDown()) {
      return this.#refuseTurn(connection, new GatewayError('shutting_down', 'the gateway is shutting down; send it again to another instance'), requestId, message.type);
    }
    // An in-flight turn that has ended (its upstream request still closing:
    // after its terminal frame, or abandoned by a takeover) does not count.
    if (this.queue.isFull(this.inflight === undefined || this.inflight.finished)) {
      return this.#refuseTurn(
        connection,
        new GatewayError('queue_full', `${this.hooks.maxQueuedMessages} turns already wait in this session`, {
          details: { max_queued_messages: this.hooks.maxQueuedMessages },
        }),
        requestId,
        message.type,
      );
    }
    const agentMessage = { ...message, request_id: requestId } as AgentMessage;
    // The agent gets the frame's own text (§3: "as received"): numbers keep their digits,
    // and no depth of nesting is serialized again. Only a missing request_id is filled in.
    const messageJson = given !== undefined ? text : withRequestId(text, requestId);
    this.queue.push(new Turn(requestId, agentMessage, connection, this.hooks.buffer, messageJson));
    this.hooks.onTurnQueued();
    this.#pump();
  }

  #cancel(requestId: string | undefined): void {
    const inflight = this.inflight !== undefined && !this.inflight.finished ? this.inflight : undefined;
    if (requestId === undefined) {
      inflight?.cancel();
      for (const turn of this.queue.drain()) {
        turn.cancel();
        this.hooks.onTurnEnd(this, turn);
      }
      return;
    }
    if (inflight?.requestId === requestId) return inflight.cancel();
    const queued = this.queue.take(requestId);
    if (queued !== undefined) {
      queued.cancel();
      this.hooks.onTurnEnd(this, queued);
    }
    // Cancelling nothing is a no-op (§6).
  }

  /** A request id is live while its turn waits or runs and has not sent its terminal frame. */
  #isLive(requestId: string): boolean {
    return (this.inflight?.requestId === requestId && !this.inflight.finished) || this.queue.has(requestId);
  }

  #refuse(connection: Connection, failure: ParseFailure): void {
    const error = new GatewayError(failure.error, failure.message, failure.error === 'invalid_message' ? { details: { issues: failure.issues } } : {});
    if (failure.error === 'invalid_json') return this.#sendError(connection, error, undefined);
    // A refusal started no turn: it names the frame's request_id at the top level only
    // when that id is valid and not used by a live turn; otherwise it goes in details (§2).
    const raw = failure.raw as { request_id?: unknown } | undefined;
    const id = raw?.request_id;
    if (isRequestId(id) && !this.#isLive(id)) return this.#sendError(connection, error, id);
    if (id === undefined) return this.#sendError(connection, error, undefined);
    error.details!.request_id = id;
    try {
      this.#sendError(connection, error, undefined);
    } catch (failure) {
      // Any depth parses; serializing recurses. Such an id is left out (the send used no `seq`).
      if (!(failure instanceof RangeError)) throw failure;
      const message = `${error.message}; its request_id is nested too deeply to be sent back`;
      this.#sendError(connection, new GatewayError(error.code, message, { details: { issues: error.details!.issues } }), undefined);
    }
  }

  #refuseTurn(connection: Connection, error: GatewayError, requestId: string, kind: AgentMessageInput['type']): void {
    const bytes = connection.sendError(toErrorFrame(error, requestId));
    this.hooks.onError(connection, error);
    this.hooks.onTurnRefused(this, connection, requestId, kind, error, bytes);
  }

  #sendError(connection: Connection, error: GatewayError, requestId: string | undefined): void {
    connection.sendError(toErrorFrame(error, requestId));
    this.hooks.onError(connection, error);
  }

  #pump(): void {
    if (this.#loop !== undefined) return;
    // Nothing in a turn's end is expected to throw; if something does, it is logged, and the
    // session goes on with its next turn instead of failing the process on an unhandled rejection.
    this.#loop = this.#run().catch((error: unknown) => loggers.session().error('session loop failed', { error })).finally(() => {
      this.#loop = undefined;
      if (this.queue.length > 0) this.#pump();
      else if (this.isIdle) this.hooks.onIdle(this);
    });
  }

  async #run(): Promise<void> {
    for (;;) {
      const waitFor = this.#drainsAborted;
      if (waitFor !== undefined) {
        await waitFor;
        // Another takeover while this one waited: wait for its drains too.
        if (this.#drainsAborted !== waitFor) continue;
        this.#drainsAborted = undefined;
      }
      if (this.queue.length === 0) return;
      // A bounded number of turn starts per turn of the event loop, across sessions: a burst of new
      // turns does not hold up the events of turns already streaming (turn-starts.ts).
      const startLater = this.hooks.takeTurnStart();
      if (startLater !== undefined) {
        await startLater;
        // Taken over while it waited: the old request's drains end first (§6); this start is let go.
        if (this.#drainsAborted !== undefined) continue;
      }
      // A queued turn that ends (cancel, close, shutdown) leaves the queue: what is here has yet to run.
      const turn = this.queue.shift();
      if (turn === undefined) return;
      this.inflight = turn;
      try {
        await runTurn(turn, this, this.hooks.agent);
      } catch (error) {
        // runTurn ends its turn itself; a throw out of it is a fault of the gateway's, and the turn
        // still gets its terminal frame.
        turn.fail(toGatewayError(error));
      } finally {
        this.inflight = undefined;
        this.hooks.onTurnEnd(this, turn);
      }
      if (this.hooks.isShuttingDown() && this.queue.length === 0) this.connection?.close(CloseCode.GOING_AWAY);
    }
  }
}

type AgentMessageInput = { type: 'user_message' | 'tool_result' };

/** A JSON object's text with `request_id` added as its first member (the object has none: it has `type`). */
function withRequestId(objectText: string, requestId: string): string {
  const open = objectText.indexOf('{');
  return `${objectText.slice(0, open + 1)}"request_id":${JSON.stringify(requestId)},${objectText.slice(open + 1)}`;
}
