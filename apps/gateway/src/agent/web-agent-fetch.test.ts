import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ABORT_GRACE_MS, AgentSilent } from './agent-fetch.ts';
import { createWebAgentFetch } from './web-agent-fetch.ts';

const chunks = ['data: {"type":"token","content":"a"}\n\n', 'data: {"type":"tok', 'en","content":"é"}\n\n', 'data: {"type":"done"}\n\n'];
// Fresh bytes for each stream: a byte stream takes over (detaches) what is enqueued.
const encoded = () => chunks.map((c) => new TextEncoder().encode(c));

/** A fetch answering with `stream` as the body. */
const answering = (stream: () => ReadableStream<Uint8Array>) => (async () => new Response(stream(), { headers: { 'content-type': 'text/event-stream' } })) as unknown as typeof fetch;

/** A request through a `fetch` that never answers and fails only when its own signal aborts. */
function neverAnswering() {
  let signal: AbortSignal | undefined;
  const fetchFn = ((_url: string, init: RequestInit) => {
    signal = init.signal!;
    return new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new Error('runtime aborted'))));
  }) as unknown as typeof fetch;
  const caller = new AbortController();
  const pending = createWebAgentFetch(fetchFn)('http://agent.invalid/x', { redirect: 'manual', signal: caller.signal });
  return { pending, caller, runtimeSignal: () => signal! };
}

async function readAll(fetchFn: typeof fetch): Promise<{ text: string; reads: number; views: Uint8Array[] }> {
  const res = await createWebAgentFetch(fetchFn)('http://agent.invalid/x', { redirect: 'manual', signal: new AbortController().signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let reads = 0;
  const views: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reads++;
    views.push(value);
    // Used before the next read, as AgentClient does.
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), reads, views };
}

describe('createWebAgentFetch', () => {
  it('reads a byte-stream body into one reused buffer (BYOB), every byte in order', async () => {
    const byteStream = () => {
      const bytes = encoded();
      let i = 0;
      return new ReadableStream({
        type: 'bytes',
        pull(controller: ReadableByteStreamController) {
          if (i < bytes.length) return controller.enqueue(bytes[i++]!);
          controller.close();
          // A BYOB read waiting at the end is answered with no bytes (Streams §4.10).
          controller.byobRequest?.respond(0);
        },
      });
    };
    const { text, reads, views } = await readAll(answering(byteStream));
    expect(text).toBe(chunks.join(''));
    expect(reads).toBe(chunks.length);
    // Each read handed the previous buffer back: earlier views are detached, not copies.
    expect(views.slice(0, -1).every((v) => v.byteLength === 0)).toBe(true);
  });

  it('reads any other body with its own reader', async () => {
    const plainStream = () => {
      const bytes = encoded();
      let i = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i < bytes.length) controller.enqueue(bytes[i++]!);
          else controller.close();
        },
      });
    };
    const { text, views } = await readAll(answering(plainStream));
    expect(text).toBe(chunks.join(''));
    expect(views.every((v) => v.byteLength > 0)).toBe(true);
  });

  // Deno closes an aborted request's connection in a task of its own: cancel resolves after two
  // more tasks, also when the abort has already errored the stream (§6: the next request waits).
  it.each([
    ['a byte stream', true],
    ['any other stream', false],
  ])('cancel of %s resolves only after two macrotasks have passed, even when the stream has errored', async (_name, bytes) => {
    for (const errored of [false, true]) {
      let errorIt: (() => void) | undefined;
      const stream = () =>
        new ReadableStream<Uint8Array>({
          ...(bytes ? { type: 'bytes' as const } : {}),
          start(controller) {
            errorIt = () => controller.error(new Error('aborted'));
          },
        } as UnderlyingDefaultSource<Uint8Array>);
      const res = await createWebAgentFetch(answering(stream))('http://agent.invalid/x', { redirect: 'manual', signal: new AbortController().signal });
      const reader = res.body!.getReader();
      if (errored) errorIt!();
      const tasks: number[] = [];
      setTimeout(() => {
        tasks.push(1);
        setTimeout(() => tasks.push(2), 0);
      }, 0);
      await reader.cancel().catch(() => undefined);
      expect(tasks).toEqual([1, 2]);
    }
  });

  it('sends the body as a stream of one chunk (Deno never sends a streamed body twice), half duplex', async () => {
    let seen: RequestInit | undefined;
    const fetchFn = (async (_url: string, init: RequestInit) => {
      seen = init;
      return new Response('', { headers: { 'content-type': 'text/event-stream' } });
    }) as unknown as typeof fetch;
    await createWebAgentFetch(fetchFn)('http://agent.invalid/x', { method: 'POST', body: '{"a":"é"}', redirect: 'manual', signal: new AbortController().signal });
    expect(seen!.body).toBeInstanceOf(ReadableStream);
    expect((seen as { duplex?: string }).duplex).toBe('half');
    expect(await new Response(seen!.body).text()).toBe('{"a":"é"}');
  });

  it('an abort while the answer is pending: the runtime gets the answer a grace to come, closes it, then reports the abort', async () => {
    const events: string[] = [];
    let runtimeSignal!: AbortSignal;
    let answer!: (res: Response) => void;
    const fetchFn = ((_url: string, init: RequestInit) => {
      runtimeSignal = init.signal!;
      return new Promise<Response>((resolve) => (answer = resolve));
    }) as unknown as typeof fetch;
    const caller = new AbortController();
    const onLateAnswer = (status: number) => void events.push(`late answer ${status}`);
    const pending = createWebAgentFetch(fetchFn)('http://agent.invalid/x', { redirect: 'manual', signal: caller.signal, onLateAnswer }).then(
      () => events.push('resolved'),
      (error: unknown) => events.push(`rejected: ${(error as Error).message}`),
    );
    caller.abort(new Error('cancelled'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Within the grace: the runtime's request is not aborted, nothing is reported yet.
    expect(runtimeSignal.aborted).toBe(false);
    expect(events).toEqual([]);
    const body = new ReadableStream<Uint8Array>({ cancel: () => void events.push('body cancelled') });
    answer(new Response(body, { status: 202, headers: { 'content-type': 'text/event-stream' } }));
    await pending;
    // The caller hears of the answer first: a 2xx accepted the message all the same (§6).
    expect(events).toEqual(['late answer 202', 'body cancelled', 'rejected: cancelled']);
  });

  it('an abort while the answer is pending: after ABORT_GRACE_MS the runtime request is aborted too', async () => {
    vi.useFakeTimers();
    // A timeout would skip the finally below: real timers come back whatever happens.
    onTestFinished(() => void vi.useRealTimers());
    try {
      const { pending, caller, runtimeSignal } = neverAnswering();
      const outcome = pending.catch((error: unknown) => (error as Error).message);
      caller.abort(new Error('cancelled'));
      await vi.advanceTimersByTimeAsync(ABORT_GRACE_MS - 1);
      expect(runtimeSignal().aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(runtimeSignal().aborted).toBe(true);
      // Then two tasks for Deno to close the connection, and the caller hears its own reason, not the runtime's.
      await vi.advanceTimersByTimeAsync(10);
      expect(await outcome).toBe('cancelled');
    } finally {
      vi.useRealTimers();
    }
  });

  it('an agent silent for the whole stream timeout (AgentSilent) is given up at once', async () => {
    const { pending, caller, runtimeSignal } = neverAnswering();
    const tasks: number[] = [];
    setTimeout(() => {
      tasks.push(1);
      setTimeout(() => tasks.push(2), 0);
    }, 0);
    caller.abort(new AgentSilent('agent idle timeout'));
    expect(runtimeSignal().aborted).toBe(true);
    await expect(pending).rejects.toBeInstanceOf(AgentSilent);
    // Reported once two tasks have passed: Deno closes a connection its fetch gave up in a task of its own.
    expect(tasks).toEqual([1, 2]);
  });

  it('a pending body read rejects as soon as the request is aborted, even when the runtime never settles it', async () => {
    const never = () => new ReadableStream<Uint8Array>({ type: 'bytes' });
    const caller = new AbortController();
    const res = await createWebAgentFetch(answering(never))('http://agent.invalid/x', { redirect: 'manual', signal: caller.signal });
    const read = res.body!.getReader().read();
    caller.abort(new Error('cancelled'));
    await expect(read).rejects.toThrow('cancelled');
  });
});
