/** How work is put off to the next turn of the event loop (`setImmediate`: after that turn's I/O). */
export type ScheduleTurn = (run: () => void) => void;

const nextLoopTurn: ScheduleTurn = (run) => void setImmediate(run);

/** Turn starts that may go in one turn of the event loop, by default. */
export const STARTS_PER_LOOP_TURN = 8;

/**
 * Turn starts, at most `perLoopTurn` per turn of the event loop, in the order they were asked for.
 *
 * A turn's start is the costly part of a turn for the gateway (the POST to the agent, its
 * signals and timers). When many sessions send at once (an IDE fleet reconnecting, a team
 * pressing enter together), starting every turn in the handler of its frame runs all those starts
 * back to back, while the events of turns already streaming wait behind them. Past the budget,
 * starts wait here for a later turn of the loop, so the runtime takes in the I/O that is ready
 * between two groups of starts: streams in flight are relayed first. Under the budget, a start
 * goes at once. A session's turns still run one at a time, in arrival order (§6).
 */
export class TurnStarts {
  readonly #perLoopTurn: number;
  readonly #schedule: ScheduleTurn;
  readonly #waiting: (() => void)[] = [];
  /** Starts that went at once in this turn of the loop (in the handlers of its I/O); set back by `#loopTurn`. */
  #given = 0;
  #scheduled = false;

  constructor(perLoopTurn = STARTS_PER_LOOP_TURN, schedule: ScheduleTurn = nextLoopTurn) {
    this.#perLoopTurn = perLoopTurn;
    this.#schedule = schedule;
  }

  /** Starts asked for and not yet given their turn. */
  get pending(): number {
    return this.#waiting.length;
  }

  /**
   * Asks to start a turn. `undefined`: it may start now; otherwise a promise that resolves when it
   * may, in a later turn of the loop (no start asked for later goes before it).
   */
  take(): Promise<void> | undefined {
    if (this.pending === 0 && this.#given < this.#perLoopTurn) {
      this.#given++;
      this.#ensureScheduled();
      return undefined;
    }
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#ensureScheduled();
    });
  }

  #ensureScheduled(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(this.#loopTurn);
  }

  /** Runs once per turn of the loop while starts go or wait: what is left of its budget goes to those that wait. */
  readonly #loopTurn = (): void => {
    let budget = this.#perLoopTurn - this.#given;
    this.#scheduled = false;
    this.#given = 0;
    for (; budget > 0 && this.#waiting.length > 0; budget--) this.#waiting.shift()!();
    if (this.#waiting.length > 0) this.#ensureScheduled();
  };
}
