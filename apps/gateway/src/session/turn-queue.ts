import type { Turn } from './turn.ts';

/** The turns waiting behind a session's in-flight turn, in arrival order (FIFO), bounded. */
export class TurnQueue {
  /** Made on the first push: most sessions are idle sockets that never queue a turn. */
  #items: Turn[] | undefined;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.#items?.length ?? 0;
  }

  /**
   * Whether `capacity` turns already wait. `firstIsNext`: no live turn is in
   * flight (the last one has ended and its upstream is closing), so the
   * first queued turn is the one the client waits on, not a waiting one.
   */
  isFull(firstIsNext = false): boolean {
    const waiting = firstIsNext ? Math.max(0, this.length - 1) : this.length;
    return waiting >= this.capacity;
  }

  push(turn: Turn): void {
    (this.#items ??= []).push(turn);
  }

  shift(): Turn | undefined {
    return this.#items?.shift();
  }

  has(requestId: string): boolean {
    return this.#items?.some((turn) => turn.requestId === requestId) ?? false;
  }

  /** Removes and returns the turn with this id, if queued. */
  take(requestId: string): Turn | undefined {
    const index = this.#items?.findIndex((turn) => turn.requestId === requestId) ?? -1;
    return index === -1 ? undefined : this.#items!.splice(index, 1)[0];
  }

  /** Removes and returns every queued turn, oldest first. */
  drain(): Turn[] {
    const items = this.#items ?? [];
    this.#items = undefined;
    return items;
  }
}
