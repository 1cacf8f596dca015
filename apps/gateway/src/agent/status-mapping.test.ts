import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.ts';
import { errorForStatus, isEventStream, parseRetryAfter } from './status-mapping.ts';

const NOW = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
const noHeaders = new Headers();

describe('errorForStatus', () => {
  it.each([
    [401, 'agent_auth_failed', false],
    [403, 'agent_auth_failed', false],
    [429, 'agent_rate_limited', true],
    [400, 'agent_rejected', false],
    [404, 'agent_rejected', false],
    [409, 'agent_rejected', false],
    [413, 'agent_rejected', false],
    [422, 'agent_rejected', false],
    [499, 'agent_rejected', false],
    [300, 'agent_rejected', false],
    [301, 'agent_rejected', false],
    [302, 'agent_rejected', false],
    [307, 'agent_rejected', false],
    [308, 'agent_rejected', false],
    [500, 'agent_unavailable', true],
    [502, 'agent_unavailable', true],
    [503, 'agent_unavailable', true],
    [504, 'agent_unavailable', true],
    [599, 'agent_unavailable', true],
  ] as const)('HTTP %i → %s (retryable: %s)', (status, code, retryable) => {
    const error = errorForStatus(status, noHeaders, NOW);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(String(status));
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('reads Retry-After in seconds on a 429', () => {
    const error = errorForStatus(429, new Headers({ 'retry-after': '7' }), NOW);
    expect(error.code).toBe('agent_rate_limited');
    expect(error.retryAfterMs).toBe(7000);
  });

  it('reads Retry-After as an HTTP date: the time from `now` until it', () => {
    const error = errorForStatus(429, new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' }), NOW);
    expect(error.retryAfterMs).toBe(30_000);
  });

  // Neither delay-seconds nor an HTTP-date (RFC 9110 §5.6.7): unreadable, so absent (protocol.md §5).
  it.each(['', '   ', 'soon', '1.5', '-5', '-1.5', '+5', 'in 5', 'retry in 2099', '10s', '5 seconds', 'not a date at all'])(
    'leaves retry_after_ms out when Retry-After is %j',
    (value) => {
      const error = errorForStatus(429, new Headers({ 'retry-after': value }), NOW);
      expect(error.code).toBe('agent_rate_limited');
      expect(error.retryAfterMs).toBeUndefined();
    },
  );

  it('leaves retry_after_ms out when Retry-After is missing', () => {
    const error = errorForStatus(429, noHeaders, NOW);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('ignores Retry-After on statuses other than 429', () => {
    expect(errorForStatus(503, new Headers({ 'retry-after': '7' }), NOW).retryAfterMs).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    [' 3 ', 3000],
  ])('delay-seconds %j → %i ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each(['9007199254741', '100000000000000000000', '9'.repeat(400)])('delay-seconds %s past 2^53 ms is unreadable: absent, not an inexact number', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('accepts an IMF-fixdate and the obsolete RFC 850 form, relative to now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:29:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:29:00 GMT', NOW)).toBe(60_000);
  });

  it('reads the asctime form as GMT, whatever the host\'s time zone (it writes no zone)', () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
        process.env.TZ = tz;
        expect({ tz, ms: parseRetryAfter('Wed Oct 21 07:29:00 2015', NOW) }).toEqual({ tz, ms: 60_000 });
        expect({ tz, ms: parseRetryAfter('Wed Oct  1 07:29:00 2015', NOW) }).toEqual({ tz, ms: 0 });
      }
      for (const impossible of ['Wed Foo 21 07:29:00 2015', 'Wed Oct 32 07:29:00 2015', 'Wed Oct  0 07:29:00 2015', 'Wed Feb 30 07:29:00 2015', 'Wed Oct 21 25:29:00 2015', 'Wed Oct 21 07:99:00 2015', 'Wed Oct 21 07:29:61 2015']) {
        expect({ impossible, ms: parseRetryAfter(impossible, NOW) }).toEqual({ impossible, ms: undefined });
      }
      // As the other forms read them.
      for (const impossible of ['Wed, 32 Oct 2015 07:29:00 GMT', 'Wed, 21 Oct 2015 25:29:00 GMT']) expect(parseRetryAfter(impossible, NOW)).toBeUndefined();
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('measures an HTTP date from the given now', () => {
    const date = 'Wed, 21 Oct 2015 07:28:10 GMT';
    expect(parseRetryAfter(date, NOW)).toBe(10_000);
    expect(parseRetryAfter(date, NOW + 4_000)).toBe(6_000);
  });

  it('never returns a negative delay for a date in the past', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', NOW)).toBe(0);
  });

  it('returns undefined for a missing header', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});

describe('isEventStream', () => {
  it.each([
    'text/event-stream',
    'text/event-stream; charset=utf-8',
    'text/event-stream;charset=UTF-8',
    'Text/Event-Stream',
    'TEXT/EVENT-STREAM; Charset=UTF-8',
    ' text/event-stream ',
  ])('accepts %j', (value) => {
    expect(isEventStream(value)).toBe(true);
  });

  it.each([null, '', 'application/json', 'text/plain', 'text/event-streams', 'text/event', 'text/plain; x=text/event-stream'])(
    'refuses %j',
    (value) => {
      expect(isEventStream(value)).toBe(false);
    },
  );
});
