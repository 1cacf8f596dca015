import type { AgentEvent } from '@agent-gateway/protocol';

export interface TokenBufferOptions {
  /** Flush this long after the first buffered token; 0 turns coalescing off. */
  flushMs: number;
  /** Flush when the buffer reaches this many UTF-16 code units; a token is never split. */
  maxChars: number;
  /** Receives each frame to send (coalesced tokens or any other event, with its text as the agent wrote it), in order. */
  emit: (event: AgentEvent, data?: string) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const isPlainToken = (event: AgentEvent): event is { type: 'token'; content: string } => {
  if (event.type !== 'token' || typeof event.content !== 'string') return false;
  for (const key in event) {
    // request_id and seq are set by the gateway, so they do not make a token special.
    if (key !== 'type' && key !== 'content' && key !== 'request_id' && key !== 'seq') return false;
  }
  return true;
};

/**
 * Coalesces consecutive plain `token` events of one turn (protocol.md §7).
 * The concatenated content is exactly the agent's, in order.
 */
export class TokenBuffer {
  #parts: string[] = [];
  #length = 0;
  #timer: unknown = undefined;
  readonly #opts: Required<TokenBufferOptions>;

  constructor(options: TokenBufferOptions) {
    this.#opts = {
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      ...options,
    };
  }

  get pendingChars(): number {
    return this.#length;
  }

  /** Adds one agent event (`data`: its text, if it has one): tokens may wait; anything else flushes the buffer first and goes out at once. */
  push(event: AgentEvent, data?: string): void {
    if (!isPlainToken(event) || this.#opts.flushMs === 0) {
      this.flush();
      this.#opts.emit(event, data);
      return;
    }
    const content = event.content;
    if (content.length === 0) return;
    if (this.#length > 0 && this.#length + content.length > this.#opts.maxChars) this.flush();
    this.#parts.push(content);
    this.#length += content.length;
    if (this.#length >= this.#opts.maxChars) {
      this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = this.#opts.setTimer(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#opts.flushMs);
    }
  }

  /** Sends what is buffered, if anything. */
  flush(): void {
    if (this.#timer !== undefined) {
      this.#opts.clearTimer(this.#timer);
      this.#timer = undefined;
    }
    if (this.#length === 0) return;
    const content = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
    this.#parts = [];
    this.#length = 0;
    this.#opts.emit({ type: 'token', content });
  }

  /** Drops what is buffered without sending it (the connection is gone). */
  discard(): void {
    if (this.#timer !== undefined) this.#opts.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#parts = [];
    this.#length = 0;
  }
}
