import { CLOSE_REASONS, CloseCode, type WSErrorResponse } from '@agent-gateway/protocol';
import { utf8Length } from '../agent/utf8.ts';
import type { ClientSocket } from './client-socket.ts';

export interface ConnectionLimits {
  maxBufferedBytes: number;
  slowClientTimeoutMs: number;
  /**
   * Past this many unsent bytes the client is a slow consumer at once, without
   * waiting for `slowClientTimeoutMs`: a client that does not read but keeps
   * sending frames the gateway answers (pings, bad frames) would otherwise
   * make it hold every answer until then (protocol.md §8: memory per session
   * stays bounded).
   */
  maxHeldBytes?: number;
}

/** How long a close handshake may take before the socket is destroyed (protocol.md §8). */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;
/** How often a paused turn looks at the socket's buffer: not every runtime has a drain event. */
const DRAIN_POLL_MS = 5;

let nextConnectionId = 1;

/**
 * One accepted WebSocket: numbers the frames (`seq`), watches the send
 * buffer (flow control, slow consumers) and owns the socket's timers.
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly openedAt = performance.now();
  /** Pings sent since the client's last pong (session-manager: two unanswered intervals drop it). */
  unansweredPings = 0;
  #seq = 0;
  #batching = false;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #slowTimer: ReturnType<typeof setTimeout> | undefined;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  #slowSoon = false;
  /** While over the buffer limit: resolves when back under it; `wake` ends it early (the socket is closing). */
  #draining: { promise: Promise<void>; wake: () => void } | undefined;
  /** Made when first asked for (shutdown): idle sockets are many, and most never are. */
  #closed: { promise: Promise<void>; resolve: () => void } | undefined;
  closeCode: number | undefined;
  /** The gateway closed or dropped it (not the client, nor a failed write). */
  closedByGateway = false;

  constructor(
    readonly sessionId: string,
    readonly socket: ClientSocket,
    private readonly limits: ConnectionLimits,
    private readonly onSlowConsumer: (connection: Connection) => void,
    /** Serializes a frame with the gateway's secrets taken out (observability/redact.ts). */
    private readonly stringify: (frame: unknown) => string = JSON.stringify,
    /** A frame's JSON text with the gateway's secrets taken out; the same text when it holds none. */
    private readonly redactText: (json: string) => string = (json) => json,
  ) {}

  /** Resolves when the socket has closed, whoever closed it. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#closed = { promise, resolve };
      if (this.#state === 'closed') resolve();
    }
    return this.#closed.promise;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  get framesSent(): number {
    return this.#seq;
  }

  get isOverLimit(): boolean {
    return this.socket.bufferedAmount > this.limits.maxBufferedBytes;
  }

  /**
   * Runs `send`s as one write to the socket where the runtime can (several
   * frames of one upstream chunk: one system call, one wake-up of the client).
   */
  batch(run: () => void): void {
    const socket = this.socket;
    if (socket.cork === undefined || this.#state !== 'open' || this.#batching) return run();
    socket.cork();
    this.#batching = true;
    try {
      run();
    } finally {
      this.#batching = false;
      socket.uncork!();
      // Measured once the frames are handed to the socket, not while they were held.
      if (this.#state === 'open') this.#watchBuffer();
    }
  }

  /**
   * Sends one frame, adding `seq`. Returns its size in bytes (UTF-8), 0 when the socket is not open.
   * Throws what serializing throws (a value nested past the stack's depth: a `RangeError`), and
   * then the frame's `seq` is not used: the next frame takes it, no gap (§5).
   */
  send(frame: Record<string, unknown>): number {
    if (this.#state !== 'open') return 0;
    frame.seq = this.#seq + 1;
    return this.#write(this.stringify(frame));
  }

  /**
   * Sends one frame given as the members of its JSON object (`"type":"x",…`, valid JSON, no `seq`
   * among them), adding `seq`; otherwise as `send`.
   */
  sendMembers(members: string): number {
    if (this.#state !== 'open') return 0;
    return this.#write(this.redactText(`{${members},"seq":${this.#seq + 1}}`));
  }

  /** Writes the frame numbered `#seq + 1`, once serialized: one that could not be takes no number. */
  #write(text: string): number {
    this.#seq++;
    try {
      this.socket.send(text);
    } catch {
      this.markClosed();
      return 0;
    }
    if (!this.#batching) this.#watchBuffer();
    return utf8Length(text);
  }

  /**
   * Over the limit: the slow-consumer clock runs, and the buffer is watched
   * until it is back under the limit, which stops the clock, whether or not a
   * turn is still sending (one may end with the buffer full).
   */
  #watchBuffer(): void {
    if (this.isOverLimit) {
      const { maxHeldBytes } = this.limits;
      if (maxHeldBytes !== undefined && this.socket.bufferedAmount > maxHeldBytes) return this.#holdsTooMuch();
      if (this.#slowTimer === undefined) void this.#overLimit();
    } else if (this.#slowTimer !== undefined) {
      this.#clearSlowTimer();
    }
  }

  /** Once the send that got here has returned: whoever sent it (a turn) is not ended under its feet. */
  #holdsTooMuch(): void {
    if (this.#slowSoon) return;
    this.#slowSoon = true;
    queueMicrotask(() => {
      if (this.#state === 'open') this.onSlowConsumer(this);
    });
  }

  sendError(body: WSErrorResponse): number {
    return this.send(body as unknown as Record<string, unknown>);
  }

  /** Resolves once the send buffer is at or below the limit, or the socket is no longer open (closing included). */
  waitForDrain(): Promise<void> {
    if (!this.isOverLimit || this.#state !== 'open') return Promise.resolve();
    return this.#overLimit();
  }

  /** The slow-consumer clock runs (started if it was not) and the buffer is watched until back under the limit. */
  #overLimit(): Promise<void> {
    if (this.#slowTimer === undefined) this.#startSlowTimer();
    return this.#draining?.promise ?? this.#watchDrain();
  }

  /**
   * One watch per episode over the limit: looks at the buffer every
   * `DRAIN_POLL_MS` (no runtime reports "back under a limit of ours": Node's
   * 'drain' waits for an empty buffer, Deno has none) and ends when it is at
   * or below the limit, or at once when the socket stops being open.
   */
  #watchDrain(): Promise<void> {
    const draining: { promise: Promise<void>; wake: () => void } = { promise: Promise.resolve(), wake: () => undefined };
    this.#draining = draining;
    draining.promise = (async () => {
      try {
        while (this.#state === 'open' && this.isOverLimit) {
          // One promise per look, settled by the timer or by `wake`: nothing outlives it.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, DRAIN_POLL_MS);
            draining.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        if (this.#draining === draining) this.#draining = undefined;
        if (!this.isOverLimit) this.#clearSlowTimer();
      }
    })();
    return draining.promise;
  }

  /** Starts the closing handshake; destroys the socket if it has not completed in 5 s. */
  close(code: CloseCode, reason: string = CLOSE_REASONS[code]): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.closeCode = code;
    this.closedByGateway = true;
    this.#clearSlowTimer();
    this.#draining?.wake();
    try {
      this.socket.close(code, reason);
    } catch {
      this.terminate();
      return;
    }
    this.#killTimer = setTimeout(() => this.terminate(), CLOSE_HANDSHAKE_TIMEOUT_MS);
    (this.#killTimer as { unref?: () => void }).unref?.();
  }

  /** Drops the socket at once. */
  terminate(): void {
    if (this.#state === 'closed') return;
    this.closedByGateway = true;
    try {
      this.socket.terminate();
    } catch {
      // already gone
    }
    this.markClosed();
  }

  /** The runtime reported the socket closed. Safe to call more than once. */
  markClosed(code?: number): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.closeCode ??= code;
    this.#clearSlowTimer();
    this.#draining?.wake();
    if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
    this.#killTimer = undefined;
    this.#closed?.resolve();
  }

  #startSlowTimer(): void {
    this.#slowTimer = setTimeout(() => {
      this.#slowTimer = undefined;
      if (this.#state === 'open' && this.isOverLimit) this.onSlowConsumer(this);
    }, this.limits.slowClientTimeoutMs);
  }

  #clearSlowTimer(): void {
    if (this.#slowTimer !== undefined) clearTimeout(this.#slowTimer);
    this.#slowTimer = undefined;
  }
}
