import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientSocket } from './client-socket.ts';
import { Connection } from './connection.ts';

const socket = (): ClientSocket & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    send: (text) => void calls.push(`send ${text}`),
    close: (code) => void calls.push(`close ${code}`),
    terminate: () => void calls.push('terminate'),
    bufferedAmount: 0,
  };
};
const limits = { maxBufferedBytes: 1024, slowClientTimeoutMs: 1000 };
/** 'closed' if `promise` has resolved once every queued promise reaction has run (the next turn of the event loop), else 'pending'. */
async function state(promise: Promise<void>): Promise<'closed' | 'pending'> {
  let resolved = false;
  void promise.then(() => (resolved = true));
  await new Promise((next) => setImmediate(next));
  return resolved ? 'closed' : 'pending';
}

describe('Connection.closed', () => {
  it('is pending while the socket is open and resolves when the runtime reports it closed', async () => {
    const connection = new Connection('s1', socket(), limits, () => undefined);
    const closed = connection.closed;
    expect(await state(closed)).toBe('pending');
    connection.close(1000);
    // The closing handshake has started, not finished.
    expect(await state(closed)).toBe('pending');
    connection.markClosed(1000);
    expect(await state(closed)).toBe('closed');
    expect(connection.closed).toBe(closed);
  });

  it('is already resolved when first asked for after the socket closed', async () => {
    const raw = socket();
    const connection = new Connection('s1', raw, limits, () => undefined);
    connection.terminate();
    expect(raw.calls).toEqual(['terminate']);
    expect(await state(connection.closed)).toBe('closed');
  });

  it('numbers frames and stops sending once closed', () => {
    const raw = socket();
    const connection = new Connection('s1', raw, limits, () => undefined);
    expect(connection.send({ type: 'pong' })).toBeGreaterThan(0);
    connection.markClosed(1006);
    expect(connection.send({ type: 'pong' })).toBe(0);
    expect(raw.calls).toEqual(['send {"type":"pong","seq":1}']);
    expect(connection.closeCode).toBe(1006);
  });

  it('does not use a seq for a frame it could not serialize: the next frame takes it', () => {
    const raw = socket();
    const connection = new Connection('s1', raw, limits, () => undefined);
    const unserializable = { type: 'x', toJSON: () => { throw new RangeError('Maximum call stack size exceeded'); } };
    expect(() => connection.send(unserializable)).toThrow(RangeError);
    connection.send({ type: 'pong' });
    expect(raw.calls).toEqual(['send {"type":"pong","seq":1}']);
  });
});

describe('Connection flow control', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A socket whose buffer the test sets. */
  const buffered = () => ({ ...socket(), bufferedAmount: 0 });

  it('is a slow consumer at once when its unsent bytes pass maxHeldBytes, after the send that got there returned', async () => {
    const raw = buffered();
    const slow: number[] = [];
    const connection = new Connection('s1', raw, { maxBufferedBytes: 100, slowClientTimeoutMs: 60_000, maxHeldBytes: 1000 }, () => void slow.push(1));
    raw.bufferedAmount = 900;
    connection.send({ type: 'pong' });
    raw.bufferedAmount = 1001;
    connection.send({ type: 'pong' });
    expect(slow).toHaveLength(0);
    connection.send({ type: 'pong' });
    await Promise.resolve();
    expect(slow).toHaveLength(1);
    // Told once, however many frames follow before the close.
    connection.send({ type: 'pong' });
    await Promise.resolve();
    expect(slow).toHaveLength(1);
    connection.terminate();
  });

  it('over the limit but under maxHeldBytes, waits for slowClientTimeoutMs', async () => {
    vi.useFakeTimers();
    const raw = buffered();
    const slow: number[] = [];
    const connection = new Connection('s1', raw, { maxBufferedBytes: 100, slowClientTimeoutMs: 1000, maxHeldBytes: 1000 }, () => void slow.push(1));
    raw.bufferedAmount = 1000;
    connection.send({ type: 'pong' });
    await vi.advanceTimersByTimeAsync(999);
    expect(slow).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(slow).toHaveLength(1);
  });

  it('times a slow consumer from when it last went over the limit, not from an earlier episode', async () => {
    vi.useFakeTimers();
    const raw = buffered();
    const slow: number[] = [];
    const connection = new Connection('s1', raw, { maxBufferedBytes: 100, slowClientTimeoutMs: 1000 }, () => void slow.push(Date.now()));
    const start = Date.now();
    // A turn ends with the buffer over the limit; nothing waits for it to drain.
    raw.bufferedAmount = 500;
    connection.send({ type: 'done' });
    await vi.advanceTimersByTimeAsync(100);
    // Back under the limit with no turn waiting: the watch sees it and stops the clock.
    raw.bufferedAmount = 0;
    await vi.advanceTimersByTimeAsync(20);
    // Over the limit again at 900 ms: the clock starts again from here.
    await vi.advanceTimersByTimeAsync(780);
    raw.bufferedAmount = 500;
    connection.send({ type: 'token', content: 'x' });
    await vi.advanceTimersByTimeAsync(700);
    expect(slow).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(slow.map((t) => t - start)).toEqual([1900]);
  });

  it('stops waiting for a drain once the socket starts closing', async () => {
    const raw = buffered();
    const connection = new Connection('s1', raw, { maxBufferedBytes: 100, slowClientTimeoutMs: 60_000 }, () => undefined);
    raw.bufferedAmount = 500;
    connection.send({ type: 'token', content: 'x' });
    const drained = connection.waitForDrain();
    expect(await state(drained)).toBe('pending');
    // A takeover: the client never reads again, the turn must not wait for it.
    connection.close(4001);
    expect(await state(drained)).toBe('closed');
  });

  it('resolves a wait for a drain once the buffer is at or below the limit, not only when empty', async () => {
    vi.useFakeTimers();
    const raw = buffered();
    const connection = new Connection('s1', raw, { maxBufferedBytes: 100, slowClientTimeoutMs: 60_000 }, () => undefined);
    raw.bufferedAmount = 500;
    connection.send({ type: 'token', content: 'x' });
    const drained = connection.waitForDrain();
    expect(connection.waitForDrain()).toBe(drained);
    let done = false;
    void drained.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(50);
    expect(done).toBe(false);
    raw.bufferedAmount = 100;
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(true);
  });
});

describe('Connection.send', () => {
  it('returns the frame size in UTF-8 bytes (what the metrics count), not in UTF-16 units', () => {
    const raw = socket();
    const connection = new Connection('s1', raw, limits, () => undefined);
    const size = connection.send({ type: 'token', content: 'ééé😀中' });
    const sent = raw.calls[0]!.slice('send '.length);
    expect(size).toBe(new TextEncoder().encode(sent).byteLength);
    expect(size).toBeGreaterThan(sent.length);
  });
});
