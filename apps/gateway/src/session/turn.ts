import type { AgentEvent, AgentMessage, WSErrorResponse } from '@agent-gateway/protocol';
import { GatewayError, toErrorFrame } from '../errors.ts';
import { membersWithout } from '../relay/json-members.ts';
import { TokenBuffer } from '../relay/token-buffer.ts';
import type { Connection } from './connection.ts';

export type TurnOutcome =
  | 'done'
  | 'agent_error'
  | 'cancelled'
  | 'disconnected'
  | `error:${string}`;

export interface TurnBufferOptions {
  flushMs: number;
  maxChars: number;
}

/**
 * One `user_message` or `tool_result` and everything sent for it. Ends with
 * exactly one terminal frame (`done` or `error`) unless its connection is
 * gone; whoever ends it first wins, and nothing is sent after.
 */
export class Turn {
  readonly controller = new AbortController();
  readonly receivedAt = performance.now();
  startedAt: number | undefined;
  firstEventAt: number | undefined;
  framesSent = 0;
  bytesSent = 0;
  eventsReceived = 0;
  outcome: TurnOutcome | undefined;
  /**
   * What ended the turn when it was not `done`: the gateway's error, or the agent's `error` event;
   * `cause` is what the runtime threw, for the log only.
   */
  failure: { code: string; message: string; cause?: unknown } | undefined;
  /** A `disconnected` turn lost its connection to another that took its session over. */
  takenOver = false;
  readonly #buffer: TokenBuffer;
  #aborted: Promise<void> | undefined;
  readonly #requestIdJson: string;

  constructor(
    readonly requestId: string,
    readonly message: AgentMessage,
    readonly connection: Connection,
    buffer: TurnBufferOptions,
    /** `message` as JSON text for the agent: the IDE's frame as received, where there is one. */
    readonly messageJson: string = JSON.stringify(message),
  ) {
    this.#buffer = new TokenBuffer({ ...buffer, emit: (event, data) => this.#send(event, data) });
    this.#requestIdJson = JSON.stringify(requestId);
  }

  get finished(): boolean {
    return this.outcome !== undefined;
  }

  /** Resolves once the turn's upstream request is to stop: cancelled, failed or abandoned. */
  get aborted(): Promise<void> {
    const signal = this.controller.signal;
    this.#aborted ??= signal.aborted
      ? Promise.resolve()
      : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return this.#aborted;
  }

  /** Relays one agent event (through the token buffer); `data` is its text as the agent wrote it. A terminal event ends the turn. */
  relay(event: AgentEvent, data?: string): void {
    if (this.finished) return;
    this.firstEventAt ??= performance.now();
    this.eventsReceived++;
    this.#buffer.push(event, data);
  }

  /** Ends the turn with `done`/`cancelled`, after flushing buffered tokens. */
  cancel(): void {
    if (this.finished) return;
    this.#buffer.flush();
    this.#send({ type: 'done', finish_reason: 'cancelled' });
    this.controller.abort();
  }

  /** Ends the turn with a gateway error, after flushing buffered tokens. */
  fail(error: GatewayError): void {
    if (this.finished) return;
    this.#buffer.flush();
    const frame: WSErrorResponse = toErrorFrame(error, this.requestId);
    this.#count(this.connection.sendError(frame));
    this.outcome = `error:${error.code}`;
    this.failure = { code: error.code, message: error.message, cause: error.cause };
    this.controller.abort();
  }

  /** The connection is gone: nothing more is sent, the upstream request is aborted. */
  abandon(opts: { takeover?: boolean } = {}): void {
    if (this.finished) return;
    this.#buffer.discard();
    this.outcome = 'disconnected';
    this.takenOver = opts.takeover === true;
    this.controller.abort();
  }

  /**
   * Sends one event: the agent's own text when there is one (`data`), else the event serialized
   * (a coalesced token, a frame the gateway made). The agent's text keeps what parsing and
   * serializing again would change: a number's every digit, its spacing within members.
   */
  #send(event: AgentEvent, data?: string): void {
    if (this.finished) return;
    // `source: "gateway"` tells the gateway's errors from the agent's (§5): an agent cannot claim it.
    const claimsGateway = event.type === 'error' && (event as Record<string, unknown>).source === 'gateway';
    let bytes: number;
    try {
      if (data !== undefined) {
        // The gateway's request_id and seq overwrite any the agent sent (§5).
        const members = membersWithout(data, claimsGateway ? DROPPED_FROM_CLAIMED_ERRORS : DROPPED_FROM_EVENTS);
        bytes = this.connection.sendMembers(`${members === '' ? '' : `${members},`}"request_id":${this.#requestIdJson}`);
      } else {
        // Written into the event itself, parsed or made for this frame alone: no copy per frame (docs/performance.md, item 26).
        const frame = event as Record<string, unknown>;
        frame.request_id = this.requestId;
        if (claimsGateway) delete frame.source;
        bytes = this.connection.send(frame);
      }
    } catch (error) {
      // The agent's JSON was parsed, but it must be serialized again (the internal API key is in it:
      // observability/redact.ts) and nests deeper than that can go (V8's JSON.stringify recurses).
      if (!(error instanceof RangeError)) throw error;
      this.fail(new GatewayError('agent_protocol_error', `the agent sent a \`${event.type}\` event nested too deeply to relay`, { cause: error }));
      return;
    }
    this.#count(bytes);
    if (event.type === 'done') this.outcome = event.finish_reason === 'cancelled' ? 'cancelled' : 'done';
    else if (event.type === 'error') {
      this.outcome = 'agent_error';
      this.failure = { code: String(event.code), message: String(event.message) };
    }
  }

  #count(bytes: number): void {
    if (bytes > 0) {
      this.framesSent++;
      this.bytesSent += bytes;
    }
  }
}

/** Set by the gateway on every relayed event (§5): the agent's own, if any, are left out. */
const DROPPED_FROM_EVENTS: ReadonlySet<string> = new Set(['request_id', 'seq']);
const DROPPED_FROM_CLAIMED_ERRORS: ReadonlySet<string> = new Set(['request_id', 'seq', 'source']);
