import { describe, expect, it } from 'vitest';
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
});
