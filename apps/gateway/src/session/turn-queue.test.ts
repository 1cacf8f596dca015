import { describe, expect, it } from 'vitest';
import type { Connection } from './connection.ts';
import { Turn } from './turn.ts';
import { TurnQueue } from './turn-queue.ts';

// The queue never touches a turn's connection; a turn only needs one to exist.
const connection = {} as Connection;
const turn = (requestId: string) =>
  new Turn(requestId, { type: 'user_message', content: `message ${requestId}`, request_id: requestId }, connection, {
    flushMs: 0,
    maxChars: 512,
  });
const ids = (turns: (Turn | undefined)[]) => turns.map((t) => t?.requestId);

describe('TurnQueue', () => {
  it('hands turns out in arrival order (FIFO)', () => {
    const queue = new TurnQueue(10);
    for (const id of ['r1', 'r2', 'r3']) queue.push(turn(id));
    expect(queue.length).toBe(3);
    expect(ids([queue.shift(), queue.shift()])).toEqual(['r1', 'r2']);
    queue.push(turn('r4'));
    expect(ids([queue.shift(), queue.shift()])).toEqual(['r3', 'r4']);
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
  });

  it('is full at its capacity and not full again once a turn leaves', () => {
    const queue = new TurnQueue(2);
    expect(queue.isFull()).toBe(false);
    queue.push(turn('r1'));
    expect(queue.isFull()).toBe(false);
    queue.push(turn('r2'));
    expect(queue.isFull()).toBe(true);
    queue.shift();
    expect(queue.isFull()).toBe(false);
    queue.push(turn('r3'));
    expect(queue.isFull()).toBe(true);
    queue.take('r2');
    expect(queue.isFull()).toBe(false);
    queue.push(turn('r4'));
    queue.drain();
    expect(queue.isFull()).toBe(false);
  });

  it('does not count the first turn as waiting when no live turn is in flight', () => {
    const queue = new TurnQueue(2);
    queue.push(turn('r1'));
    queue.push(turn('r2'));
    expect(queue.isFull()).toBe(true);
    // The in-flight turn has ended: r1 is next, only r2 waits.
    expect(queue.isFull(true)).toBe(false);
    queue.push(turn('r3'));
    expect(queue.isFull(true)).toBe(true);
  });

  it('has() tells whether a request id is queued', () => {
    const queue = new TurnQueue(4);
    expect(queue.has('r1')).toBe(false);
    expect(queue.take('r1')).toBeUndefined();
    expect(queue.shift()).toBeUndefined();
    queue.push(turn('r1'));
    expect(queue.has('r1')).toBe(true);
    expect(queue.has('r2')).toBe(false);
    queue.shift();
    expect(queue.has('r1')).toBe(false);
  });

  it('take() removes the turn with that id and keeps the others in order', () => {
    const queue = new TurnQueue(10);
    const turns = ['r1', 'r2', 'r3', 'r4'].map(turn);
    for (const t of turns) queue.push(t);
    expect(queue.take('r3')).toBe(turns[2]);
    expect(queue.length).toBe(3);
    expect(queue.has('r3')).toBe(false);
    expect(queue.take('r3')).toBeUndefined();
    expect(queue.take('nope')).toBeUndefined();
    expect(queue.length).toBe(3);
    expect(ids(queue.drain())).toEqual(['r1', 'r2', 'r4']);
  });

  it('drain() returns every queued turn oldest first and leaves the queue empty', () => {
    const queue = new TurnQueue(10);
    expect(queue.drain()).toEqual([]);
    for (const id of ['r1', 'r2', 'r3']) queue.push(turn(id));
    const drained = queue.drain();
    expect(ids(drained)).toEqual(['r1', 'r2', 'r3']);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
    // What was drained is not affected by later use of the queue.
    queue.push(turn('r5'));
    expect(ids(drained)).toEqual(['r1', 'r2', 'r3']);
    expect(ids(queue.drain())).toEqual(['r5']);
  });
});
