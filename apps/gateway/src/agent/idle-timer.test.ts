import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleTimer } from './idle-timer.ts';

const TIMEOUT = 100;

function setup() {
  const onTimeout = vi.fn();
  const timer = new IdleTimer(TIMEOUT, onTimeout);
  return { timer, onTimeout };
}

describe('IdleTimer', () => {
  beforeEach(() => {
    // The timer measures silence with performance.now(), so that clock is faked too.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses a faked performance clock in these tests', () => {
    const before = performance.now();
    vi.advanceTimersByTime(1234);
    expect(performance.now() - before).toBe(1234);
  });

  it('does nothing before it is started', () => {
    const { onTimeout } = setup();
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('fires once after timeoutMs of silence', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(timer.fired).toBe(false);
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(timer.fired).toBe(true);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('a read that got bytes (pause, then resume for the next read) postpones the deadline to timeoutMs after it', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(60);
    timer.pause();
    timer.resume();
    vi.advanceTimersByTime(TIMEOUT - 1); // 159: 99 ms after the read
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('never fires while activity keeps coming more often than timeoutMs', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(TIMEOUT / 2);
      timer.pause();
      timer.resume();
    }
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('pause() stops counting: no timeout however long the pause', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(50);
    timer.pause();
    vi.advanceTimersByTime(100 * TIMEOUT);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(timer.fired).toBe(false);
  });

  it('resume() after a long pause counts a full timeoutMs from the resume', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(90);
    timer.pause();
    vi.advanceTimersByTime(1000);
    timer.resume();
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('resume() after a short pause (before the armed timer ran) also counts from the resume', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(80);
    timer.pause();
    vi.advanceTimersByTime(10);
    timer.resume(); // at 90
    vi.advanceTimersByTime(TIMEOUT - 1); // 189
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('resume() while running restarts the count', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(80);
    timer.resume();
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('many pause/resume cycles shorter than timeoutMs never fire', () => {
    const { timer, onTimeout } = setup();
    for (let i = 0; i < 100; i++) {
      timer.resume();
      vi.advanceTimersByTime(TIMEOUT - 10);
      timer.pause();
      vi.advanceTimersByTime(TIMEOUT * 3);
    }
    expect(onTimeout).not.toHaveBeenCalled();
    // A single timer at most, however many cycles there were.
    expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
  });

  it('stop() cancels the timer for good', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(50);
    timer.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100 * TIMEOUT);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(timer.fired).toBe(false);
    timer.stop(); // twice is fine
  });

  it('once fired, resume() does not arm it again', () => {
    const { timer, onTimeout } = setup();
    timer.resume();
    vi.advanceTimersByTime(TIMEOUT);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    timer.resume();
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
