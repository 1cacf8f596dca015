import type { Turn } from './turn.ts';

/** The turns waiting behind a session's in-flight turn, in arrival order (FIFO), bounded. */
export class TurnQueue {
  #items: Turn[] = [];

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.#items.length;
  }

  get isFull(): boolean {
    return this.#items.length >= this.capacity;
  }

  push(turn: Turn): void {
    this.#items.push(turn);
  }

  shift(): Turn | undefined {
    return this.#items.shift();
  }

  has(requestId: string): boolean {
    return this.#items.some((turn) => turn.requestId === requestId);
  }

  /** Removes and returns the turn with this id, if queued. */
  take(requestId: string): Turn | undefined {
    const index = this.#items.findIndex((turn) => turn.requestId === requestId);
    return index === -1 ? undefined : this.#items.splice(index, 1)[0];
  }

  /** Removes and returns every queued turn, oldest first. */
  drain(): Turn[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }
}
