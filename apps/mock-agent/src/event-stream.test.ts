import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventStreamResponse, type EventStreamWriter } from './event-stream.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('EventStreamWriter.sleep', () => {
  it('waits the whole delay beyond 2^31-1 ms (where one timer would fire at once)', async () => {
    vi.useFakeTimers();
    let writer!: EventStreamWriter;
    createEventStreamResponse(
      async (w) => {
        writer = w;
        await w.hang();
      },
      { signal: new AbortController().signal, onEnd: () => undefined },
    );
    let woke = false;
    const slept = writer.sleep(3_000_000_000).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(2_147_483_647);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000_000_000 - 2_147_483_647 - 1);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(woke).toBe(true);
  });

  it('rejects at once when the client has gone, also during a long wait', async () => {
    vi.useFakeTimers();
    const client = new AbortController();
    let writer!: EventStreamWriter;
    createEventStreamResponse(
      async (w) => {
        writer = w;
        await w.hang().catch(() => undefined);
      },
      { signal: client.signal, onEnd: () => undefined },
    );
    const slept = writer.sleep(3_000_000_000);
    client.abort();
    await expect(slept).rejects.toThrow();
    await expect(writer.sleep(0)).rejects.toThrow();
  });
});
