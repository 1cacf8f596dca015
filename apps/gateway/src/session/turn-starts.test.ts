import { describe, expect, it } from 'vitest';
import { TurnStarts } from './turn-starts.ts';

/** A `TurnStarts` whose turns of the loop the test runs by hand. */
const manual = (perLoopTurn: number) => {
  const scheduled: (() => void)[] = [];
  const starts = new TurnStarts(perLoopTurn, (run) => void scheduled.push(run));
  const given: number[] = [];
  let asked = 0;
  /** Asks for a start; returns whether it went at once. */
  const ask = (): boolean => {
    const n = asked++;
    const later = starts.take();
    if (later === undefined) given.push(n);
    else void later.then(() => void given.push(n));
    return later === undefined;
  };
  /** Runs the next turn of the loop and what it gave. */
  const loopTurn = async () => {
    scheduled.shift()!();
    await Promise.resolve();
  };
  return { starts, scheduled, given, ask, loopTurn, asked: () => asked };
};

describe('TurnStarts', () => {
  it('lets the budget go at once, then a budget per turn of the event loop: what the loop has ready in between runs between two groups', async () => {
    const starts = new TurnStarts(2);
    const order: string[] = [];
    const ask = (name: string) => {
      const later = starts.take();
      if (later === undefined) order.push(name);
      else void later.then(() => void order.push(name));
      return later;
    };
    const waits = ['a', 'b', 'c', 'd', 'e'].map(ask);
    expect(order).toEqual(['a', 'b']);
    expect(starts.pending).toBe(3);
    // Ready after the starts were asked for, as a socket's data that arrives during a burst.
    setImmediate(() => order.push('io 1'));
    const io2 = new Promise<void>((resolve) => setImmediate(() => setImmediate(() => resolve(void order.push('io 2')))));
    await Promise.all([...waits, io2]);
    // a and b had this turn of the loop's budget: c and d go in the next, e in the one after.
    expect(order).toEqual(['a', 'b', 'io 1', 'c', 'd', 'io 2', 'e']);
    expect(starts.pending).toBe(0);
  });

  it('never lets a start go before one asked for earlier, nor more than the budget in one turn of the loop', async () => {
    const { starts, scheduled, given, ask, loopTurn } = manual(2);
    expect([ask(), ask(), ask(), ask(), ask()]).toEqual([true, true, false, false, false]);
    expect(scheduled).toHaveLength(1);
    await Promise.resolve();
    expect(given).toEqual([0, 1]);
    // This turn of the loop had its two at once: the others wait for the next.
    await loopTurn();
    expect(given).toEqual([0, 1]);
    await loopTurn();
    expect(given).toEqual([0, 1, 2, 3]);
    // One waits: a start asked for now goes behind it.
    expect(ask()).toBe(false);
    await loopTurn();
    expect(given).toEqual([0, 1, 2, 3, 4, 5]);
    expect(starts.pending).toBe(0);
    expect(scheduled).toHaveLength(0);
    // Nothing waits and the next turn of the loop has its budget whole.
    expect([ask(), ask(), ask()]).toEqual([true, true, false]);
    expect(scheduled).toHaveLength(1);
    await loopTurn();
    await loopTurn();
    expect(given).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(scheduled).toHaveLength(0);
  });

  it('keeps the order when starts keep coming and it never runs empty', async () => {
    const { starts, scheduled, given, ask, loopTurn, asked } = manual(1);
    ask();
    // Each turn of the loop gives one start and two more are asked for: the backlog only grows.
    for (let i = 0; i < 5000; i++) {
      ask();
      ask();
      await loopTurn();
    }
    // The first went at once and used that turn's budget; then one a turn.
    expect(given).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(starts.pending).toBe(asked() - 5000);
    while (scheduled.length > 0) await loopTurn();
    expect(given).toEqual(Array.from({ length: asked() }, (_, i) => i));
    expect(starts.pending).toBe(0);
  });
});
