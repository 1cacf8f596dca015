import { describe, expect, it } from 'vitest';
import { expectedContent, tokenText } from './token-text.ts';
import { TurnCheck } from './turn-check.ts';

const tokens = { name: 'tokens', count: 3, size: 4 } as const;
const ticks = { name: 'ticks', interval_ms: 20, duration_ms: 60 } as const;

describe('tokenText', () => {
  it('matches the mock agent: the last `size` zero-padded digits', () => {
    expect(tokenText(7, 4)).toBe('0007');
    expect(tokenText(12345, 4)).toBe('2345');
    expect(expectedContent(3, 4)).toBe('000000010002');
  });
});

describe('TurnCheck', () => {
  it('passes the exact content with one terminal frame, however it is split into frames', () => {
    const check = new TurnCheck('r', tokens);
    check.event({ type: 'token', content: '00000001' }, 0);
    check.event({ type: 'token', content: '0002' }, 0);
    check.event({ type: 'done', finish_reason: 'stop' }, 0);
    check.finish();
    expect(check.failures.count).toBe(0);
    expect([check.frames, check.tokenFrames, check.chars]).toEqual([3, 2, 12]);
  });

  it('fails a missing, reordered or altered token', () => {
    for (const parts of [['0000', '0002'], ['0001', '0000', '0002'], ['0000', '0001', '0003']]) {
      const check = new TurnCheck('r', tokens);
      for (const content of parts) check.event({ type: 'token', content }, 0);
      check.event({ type: 'done', finish_reason: 'stop' }, 0);
      check.finish();
      expect(check.failures.count).toBe(1);
    }
  });

  it('fails no terminal frame, two terminal frames, a frame after the terminal, an error frame', () => {
    const none = new TurnCheck('r', tokens);
    none.event({ type: 'token', content: expectedContent(3, 4) }, 0);
    none.finish();
    expect(none.failures.messages).toEqual(['r: 0 terminal frames, not 1']);

    const two = new TurnCheck('r', tokens);
    two.event({ type: 'token', content: expectedContent(3, 4) }, 0);
    two.event({ type: 'done', finish_reason: 'stop' }, 0);
    two.event({ type: 'done', finish_reason: 'stop' }, 0);
    two.finish();
    expect(two.failures.count).toBe(1);

    const error = new TurnCheck('r', tokens);
    error.event({ type: 'error', code: 'agent_timeout', message: 'x' }, 0);
    error.finish();
    expect(error.failures.count).toBe(2); // the error itself, and the content that never came
  });

  it('measures tick latency and fails a gap in the tick numbers', () => {
    const latencies = { all: [] as number[], steady: [] as number[], steadyFromTick: 2 };
    const ok = new TurnCheck('r', ticks, latencies);
    for (const n of [0, 1, 2]) ok.event({ type: 'tick', n, emitted_at: 1000 + n }, 1002.5 + n);
    ok.event({ type: 'done', finish_reason: 'stop' }, 0);
    ok.finish();
    expect(ok.failures.count).toBe(0);
    expect(latencies.all).toEqual([2.5, 2.5, 2.5]);
    expect(latencies.steady).toEqual([2.5]);

    const gap = new TurnCheck('r', ticks);
    for (const n of [0, 2]) gap.event({ type: 'tick', n, emitted_at: 0 }, 0);
    gap.event({ type: 'done', finish_reason: 'stop' }, 0);
    gap.finish();
    expect(gap.failures.messages).toEqual(['r: tick n=2 where 1 was due']);
  });

  it('with stamped ticks, a tick whose emitted_at differs from its stamp is a wrong answer', () => {
    const twoTicks = { name: 'ticks', interval_ms: 20, duration_ms: 40 } as const;
    const latencies = { all: [] as number[], steady: [] as number[], steadyFromTick: 0, stamped: true };
    const check = new TurnCheck('r', twoTicks, latencies);
    check.event({ type: 'tick', n: 0, emitted_at: 1000.5, stamp: '0:1000.5' }, 1002);
    // Re-stamped on the way: its latency would look better than it was.
    check.event({ type: 'tick', n: 1, emitted_at: 1021.9, stamp: '1:1020.5' }, 1022);
    check.event({ type: 'done', finish_reason: 'stop' }, 1023);
    check.finish();
    expect(check.failures.messages).toEqual(['r: tick n=1 with emitted_at 1021.9, stamped "1:1020.5" by the agent']);
    expect(latencies.all).toEqual([1.5]);
  });
});
