/**
 * Fires `onTimeout` after `timeoutMs` of silence while running. Activity
 * moves a deadline instead of re-arming a timer, so a busy stream costs one
 * timer per `timeoutMs`, not one per chunk. Paused time does not count.
 */
export class IdleTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = 0;
  #running = false;
  #fired = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void,
  ) {}

  get fired(): boolean {
    return this.#fired;
  }

  /** Starts (or restarts after a pause: bytes came, and were relayed) counting silence from now. */
  resume(): void {
    if (this.#fired) return;
    this.#running = true;
    this.#lastActivity = performance.now();
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
  }

  /** The gateway is not reading: silence is not the agent's fault. */
  pause(): void {
    this.#running = false;
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#running) return;
      const silent = performance.now() - this.#lastActivity;
      if (silent >= this.timeoutMs - 1) {
        this.#fired = true;
        this.#running = false;
        this.onTimeout();
      } else {
        this.#arm(this.timeoutMs - silent);
      }
    }, ms);
  }
}
