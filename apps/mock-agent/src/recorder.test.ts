import { describe, expect, it } from 'vitest';
import { createRecorder } from './recorder.ts';

const init = { method: 'POST', path: '/agent/message/stream', headers: {}, body: null };

describe('createRecorder', () => {
  it('numbers records and ends each once', () => {
    const recorder = createRecorder();
    const a = recorder.begin(init);
    const b = recorder.begin(init);
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(a).toMatchObject({ scenario: null, status: null, endedAt: null, aborted: false });
    recorder.end(a, { aborted: false });
    const endedAt = a.endedAt;
    recorder.end(a, { aborted: true });
    expect(a.endedAt).toBe(endedAt);
    expect(a.aborted).toBe(false);
  });

  it('waitFor resolves at once when the predicate already holds', async () => {
    const recorder = createRecorder();
    recorder.begin(init);
    await expect(recorder.waitFor((r) => r.requests.length)).resolves.toBe(1);
  });

  it('waitFor resolves on the change that makes the predicate hold', async () => {
    const recorder = createRecorder();
    const waiting = recorder.waitFor((r) => r.requests.find((q) => q.aborted));
    const record = recorder.begin(init);
    recorder.end(record, { aborted: true });
    await expect(waiting).resolves.toBe(record);
  });

  it('waitFor follows connection counts', async () => {
    const recorder = createRecorder();
    const waiting = recorder.waitFor((r) => r.connections.total === 2 && r.connections);
    recorder.connectionOpened();
    recorder.connectionOpened();
    recorder.connectionClosed();
    await expect(waiting).resolves.toEqual({ total: 2, open: 2 });
    expect(recorder.connections).toEqual({ total: 2, open: 1 });
  });

  it('waitFor rejects after its timeout', async () => {
    const recorder = createRecorder();
    await expect(recorder.waitFor(() => false, 10)).rejects.toThrow(/timed out after 10 ms/);
  });

  it('reset forgets records and restarts the counters', () => {
    const recorder = createRecorder();
    recorder.begin(init);
    recorder.connectionOpened();
    recorder.reset();
    expect(recorder.requests).toEqual([]);
    expect(recorder.connections).toEqual({ total: 0, open: 1 });
    expect(recorder.begin(init).id).toBe(1);
  });
});
