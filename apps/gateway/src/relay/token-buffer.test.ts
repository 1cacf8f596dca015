import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentEvent } from '@agent-gateway/protocol';
import { TokenBuffer } from './token-buffer.ts';

const token = (content: string): AgentEvent => ({ type: 'token', content });

function setup(flushMs: number, maxChars: number) {
  const frames: AgentEvent[] = [];
  const emittedAt: number[] = [];
  const buffer = new TokenBuffer({
    flushMs,
    maxChars,
    emit: (event) => {
      frames.push(event);
      emittedAt.push(Date.now());
    },
  });
  const contents = () => frames.map((f) => (f.type === 'token' ? f.content : `<${f.type}>`));
  return { buffer, frames, emittedAt, contents };
}

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 1-, 2- and 3-byte UTF-8 characters (one UTF-16 unit) and astral ones (two units).
const ALPHABET = ['a', 'Z', ' ', '\n', 'é', 'ß', '中', '€', '😀', '𝄞', '👍🏽'];

describe('TokenBuffer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([1, 2, 3, 4, 5])('relays exactly the agent content over many random tokens, never splitting one (seed %i)', (seed) => {
    const rand = random(seed);
    const flushMs = 16;
    const maxChars = 1 + Math.floor(rand() * 24);
    const { buffer, frames, emittedAt } = setup(flushMs, maxChars);
    const tokens: string[] = [];
    const pushedAt: number[] = [];
    for (let i = 0; i < 2000; i++) {
      let content = '';
      const length = Math.floor(rand() * rand() * 40);
      for (let j = 0; j < length; j++) content += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      tokens.push(content);
      pushedAt.push(Date.now());
      buffer.push(token(content));
      if (rand() < 0.3) vi.advanceTimersByTime(Math.floor(rand() * 12));
    }
    buffer.flush();

    expect(frames.every((f) => f.type === 'token')).toBe(true);
    const sent = frames.map((f) => (f as { content: string }).content);
    expect(sent.join('')).toBe(tokens.join(''));
    expect(frames.length).toBeLessThan(tokens.filter((t) => t !== '').length); // it did coalesce

    // Every frame boundary is a token boundary, and a frame over maxChars is one token alone.
    const tokenEnds = new Set<number>();
    let offset = 0;
    for (const t of tokens) tokenEnds.add((offset += t.length));
    const nonEmpty = new Set(tokens.filter((t) => t !== ''));
    offset = 0;
    for (const content of sent) {
      expect(content.length).toBeGreaterThan(0);
      offset += content.length;
      expect(tokenEnds.has(offset)).toBe(true);
      if (content.length > maxChars) expect(nonEmpty.has(content)).toBe(true);
    }

    // Coalescing never adds more than flushMs of latency (§7), except what the final flush() held.
    let sentOffset = 0;
    let frameIndex = 0;
    let tokenOffset = 0;
    for (let i = 0; i < tokens.length; i++) {
      tokenOffset += tokens[i]!.length;
      if (tokens[i] === '') continue;
      while (sentOffset < tokenOffset) sentOffset += sent[frameIndex++]!.length;
      if (frameIndex < sent.length) expect(emittedAt[frameIndex - 1]! - pushedAt[i]!).toBeLessThanOrEqual(flushMs);
    }
  });

  it('flushes as soon as the buffer reaches maxChars', () => {
    const { buffer, contents } = setup(1000, 5);
    buffer.push(token('abc'));
    expect(contents()).toEqual([]);
    buffer.push(token('de'));
    expect(contents()).toEqual(['abcde']);
    expect(buffer.pendingChars).toBe(0);
  });

  it('counts maxChars in UTF-16 code units, not characters or bytes', () => {
    const { buffer, contents } = setup(1000, 4);
    buffer.push(token('😀'));
    expect(contents()).toEqual([]);
    expect(buffer.pendingChars).toBe(2);
    buffer.push(token('😀'));
    expect(contents()).toEqual(['😀😀']);

    const b = setup(1000, 4);
    b.buffer.push(token('中中中'));
    expect(b.contents()).toEqual([]); // 3 units, 9 UTF-8 bytes: still below 4
    b.buffer.push(token('é'));
    expect(b.contents()).toEqual(['中中中é']);
  });

  it('never splits a token: what would overflow goes out first, the token waits in a new frame', () => {
    const { buffer, contents } = setup(16, 5);
    buffer.push(token('abc'));
    buffer.push(token('def'));
    expect(contents()).toEqual(['abc']);
    expect(buffer.pendingChars).toBe(3);
    vi.advanceTimersByTime(16);
    expect(contents()).toEqual(['abc', 'def']);
  });

  it('sends a token longer than maxChars alone, after what was buffered', () => {
    const { buffer, contents } = setup(16, 4);
    buffer.push(token('ab'));
    buffer.push(token('abcdefgh'));
    expect(contents()).toEqual(['ab', 'abcdefgh']);
    buffer.push(token('xyz0123456'));
    expect(contents()).toEqual(['ab', 'abcdefgh', 'xyz0123456']);
    expect(buffer.pendingChars).toBe(0);
  });

  it('flushes flushMs after the first buffered token, not after the last one', () => {
    const { buffer, contents } = setup(16, 1000);
    buffer.push(token('a'));
    vi.advanceTimersByTime(10);
    buffer.push(token('b'));
    vi.advanceTimersByTime(5);
    expect(contents()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(contents()).toEqual(['ab']);

    // The next token starts a new window.
    vi.advanceTimersByTime(100);
    buffer.push(token('c'));
    vi.advanceTimersByTime(15);
    buffer.push(token('d'));
    expect(contents()).toEqual(['ab']);
    vi.advanceTimersByTime(1);
    expect(contents()).toEqual(['ab', 'cd']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a size flush restarts the time window for the tokens after it', () => {
    const { buffer, contents } = setup(16, 3);
    buffer.push(token('a'));
    vi.advanceTimersByTime(10);
    buffer.push(token('bc')); // reaches 3: flushed
    expect(contents()).toEqual(['abc']);
    buffer.push(token('d'));
    vi.advanceTimersByTime(6); // 16 ms after 'a', 6 after 'd'
    expect(contents()).toEqual(['abc']);
    vi.advanceTimersByTime(10);
    expect(contents()).toEqual(['abc', 'd']);
  });

  it.each<[string, AgentEvent]>([
    ['tool_call', { type: 'tool_call', tool_call_id: 't1', name: 'read_file', arguments: { path: 'a.ts' } }],
    ['an unknown event', { type: 'thinking', text: 'hmm' }],
    ['done (terminal)', { type: 'done', finish_reason: 'stop' }],
    ['error (terminal)', { type: 'error', code: 'boom', message: 'agent failed' }],
  ])('flushes the buffer before %s, which goes out at once and unchanged', (_name, event) => {
    const { buffer, frames } = setup(16, 1000);
    buffer.push(token('Hel'));
    buffer.push(token('lo'));
    buffer.push(event);
    expect(frames).toEqual([{ type: 'token', content: 'Hello' }, event]);
    expect(frames[1]).toBe(event);
    // The flush cancelled the time window: nothing more comes later.
    vi.advanceTimersByTime(1000);
    expect(frames).toHaveLength(2);
  });

  it('relays a non-token event at once even when nothing is buffered', () => {
    const { buffer, frames } = setup(16, 1000);
    const done: AgentEvent = { type: 'done', finish_reason: 'stop' };
    buffer.push(done);
    expect(frames).toEqual([done]);
  });

  it('flush() sends what is buffered, and is a no-op when nothing is', () => {
    const { buffer, contents } = setup(16, 1000);
    buffer.flush();
    expect(contents()).toEqual([]);
    buffer.push(token('tail'));
    buffer.flush();
    expect(contents()).toEqual(['tail']);
    buffer.flush();
    vi.advanceTimersByTime(100);
    expect(contents()).toEqual(['tail']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('flushMs = 0 turns coalescing off: every token is its own frame, sent at once', () => {
    const { buffer, frames } = setup(0, 1000);
    const events = [token('a'), token('b'), token('😀'), token('cd')];
    for (const event of events) buffer.push(event);
    expect(frames).toEqual(events);
    expect(buffer.pendingChars).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not merge a token with extra fields: it flushes the buffer and goes alone, unchanged', () => {
    const { buffer, frames } = setup(16, 1000);
    const special: AgentEvent = { type: 'token', content: 'X', logprob: -0.5 };
    buffer.push(token('a'));
    buffer.push(token('b'));
    buffer.push(special);
    expect(frames).toEqual([{ type: 'token', content: 'ab' }, special]);
    buffer.push(token('c'));
    vi.advanceTimersByTime(16);
    expect(frames).toEqual([{ type: 'token', content: 'ab' }, special, { type: 'token', content: 'c' }]);
  });

  it('still merges tokens that carry only request_id and seq besides type and content', () => {
    const { buffer, frames } = setup(16, 1000);
    buffer.push({ type: 'token', content: 'a', request_id: 'agent-set', seq: 9 });
    buffer.push({ type: 'token', content: 'b', seq: 10 });
    vi.advanceTimersByTime(16);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: 'token', content: 'ab' });
  });

  it('discard() drops the buffered content and its timer', () => {
    const { buffer, frames } = setup(16, 1000);
    buffer.push(token('lost'));
    expect(vi.getTimerCount()).toBe(1);
    buffer.discard();
    expect(buffer.pendingChars).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    buffer.flush();
    expect(frames).toEqual([]);
    // Usable afterwards.
    buffer.push(token('new'));
    vi.advanceTimersByTime(16);
    expect(frames).toEqual([{ type: 'token', content: 'new' }]);
  });
});
