import type { Scenario } from './scenario.ts';
import { expectedContent } from './token-text.ts';

/** At most this many failure messages are kept per check; the count goes on. */
const MAX_KEPT = 5;

/** Collects failures: a fast wrong answer counts as a failure (issue 6). */
export class Failures {
  readonly messages: string[] = [];
  count = 0;

  add(message: string): void {
    this.count++;
    if (this.messages.length < MAX_KEPT) this.messages.push(message);
  }

  /** Adds `other`'s failures, their messages with `prefix`. */
  merge(other: Failures, prefix = ''): void {
    this.count += other.count;
    for (const m of other.messages) if (this.messages.length < MAX_KEPT) this.messages.push(`${prefix}${m}`);
  }
}

/** Tick latencies of every event, and of those after a session's start-up (`steadyFromTick` on). */
export interface LatencySink {
  all: number[];
  steady: number[];
  steadyFromTick: number;
  /**
   * The agent stamps each tick with `stamp: "<n>:<emitted_at>"` (the bench's
   * stub does): a tick whose `emitted_at` does not match it was re-stamped or
   * altered on the way, and its latency would be a fast wrong answer.
   */
  stamped?: boolean;
}

/**
 * Checks everything one turn delivers, whoever delivered it (the gateway's
 * frames or DIRECT's SSE events): exact token content in order, ticks
 * numbered without a gap, exactly one terminal frame and nothing after it.
 */
export class TurnCheck {
  readonly failures = new Failures();
  /** Frames (or SSE events) of the turn, terminal included. */
  frames = 0;
  tokenFrames = 0;
  chars = 0;
  terminals = 0;
  terminalAt: number | undefined;
  #content = '';
  #nextTick = 0;

  constructor(
    readonly requestId: string,
    readonly scenario: Scenario,
    /** Receives agent-emit → client-receive latencies of `tick` events, in ms. */
    private readonly latencies?: LatencySink,
  ) {}

  get finished(): boolean {
    return this.terminals > 0;
  }

  /** One frame of this turn, parsed; `receivedAt` in epoch ms. */
  event(frame: Record<string, unknown>, receivedAt: number): void {
    this.frames++;
    if (this.terminals > 0) {
      this.failures.add(`${this.requestId}: a ${String(frame.type)} frame after the terminal frame`);
      return;
    }
    switch (frame.type) {
      case 'token': {
        const content = frame.content;
        if (typeof content !== 'string') return this.failures.add(`${this.requestId}: token without string content`);
        this.tokenFrames++;
        this.chars += content.length;
        this.#content += content;
        return;
      }
      case 'tick': {
        const { n, emitted_at: emittedAt } = frame;
        if (n !== this.#nextTick) this.failures.add(`${this.requestId}: tick n=${String(n)} where ${this.#nextTick} was due`);
        if (typeof n === 'number') this.#nextTick = n + 1;
        if (typeof emittedAt !== 'number') return this.failures.add(`${this.requestId}: tick without emitted_at`);
        if (this.latencies?.stamped && frame.stamp !== `${String(n)}:${emittedAt}`) {
          return this.failures.add(`${this.requestId}: tick n=${String(n)} with emitted_at ${emittedAt}, stamped ${JSON.stringify(frame.stamp)} by the agent`);
        }
        if (this.latencies) {
          const latency = receivedAt - emittedAt;
          this.latencies.all.push(latency);
          if (typeof n === 'number' && n >= this.latencies.steadyFromTick) this.latencies.steady.push(latency);
        }
        return;
      }
      case 'done':
        this.terminals++;
        this.terminalAt = receivedAt;
        if (frame.finish_reason !== 'stop') this.failures.add(`${this.requestId}: done with finish_reason ${String(frame.finish_reason)}`);
        return;
      case 'error':
        this.terminals++;
        this.terminalAt = receivedAt;
        this.failures.add(`${this.requestId}: error frame ${String(frame.code)}: ${String(frame.message)}`);
        return;
      default:
        this.failures.add(`${this.requestId}: unexpected ${String(frame.type)} frame`);
    }
  }

  /** After the turn is over (or timed out): what was received must be exactly what was asked for. */
  finish(): void {
    if (this.terminals !== 1) this.failures.add(`${this.requestId}: ${this.terminals} terminal frames, not 1`);
    const s = this.scenario;
    if (s.name === 'tokens') {
      const expected = expectedContent(s.count, s.size);
      if (this.#content !== expected) {
        this.failures.add(`${this.requestId}: content differs (${this.#content.length} chars received, ${expected.length} expected)`);
      }
    } else {
      const count = Math.floor(s.duration_ms / s.interval_ms);
      if (this.#nextTick !== count) this.failures.add(`${this.requestId}: ${this.#nextTick} ticks received, ${count} expected`);
    }
    this.#content = '';
  }
}
