import { GatewayError } from '../errors.ts';

/** HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms. */
const HTTP_DATE_FORMATS = [
  /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
];
/** asctime: no zone written, and GMT meant (RFC 9110 §5.6.7); `Date.parse` would take the host's zone. */
const ASCTIME = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date whose
 * distance from `now` is the delay. Undefined when missing or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) {
    // Past 2^53 ms (285,000 years) the number is not an exact integer any more: unreadable.
    const ms = Number(trimmed) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const date = httpDate(trimmed);
  if (date === undefined || Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** An HTTP-date as milliseconds since the epoch; undefined (or NaN) when it is none. */
function httpDate(text: string): number | undefined {
  if (HTTP_DATE_FORMATS.some((format) => format.test(text))) return Date.parse(text);
  const asctime = ASCTIME.exec(text);
  if (asctime === null) return undefined;
  const [, month, day, hours, minutes, seconds, year] = asctime as unknown as [string, string, string, string, string, string, string];
  const monthIndex = MONTHS.indexOf(month);
  if (monthIndex < 0 || Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 60) return undefined;
  const date = Date.UTC(Number(year), monthIndex, Number(day), Number(hours), Number(minutes), Math.min(59, Number(seconds)));
  // `Date.UTC` rolls a day past the month's end over (Oct 32 is Nov 1): that is no date. (The other two
  // forms go through `Date.parse`, which refuses a day over 31 or an hour over 24 but rolls Nov 31 over.)
  const read = new Date(date);
  return read.getUTCDate() === Number(day) && read.getUTCMonth() === monthIndex ? date : undefined;
}

/** Maps a non-success answer of the agent to the gateway's error (protocol.md §5). */
export function errorForStatus(status: number, headers: { get(name: string): string | null }, now = Date.now()): GatewayError {
  const details = { status };
  if (status === 401 || status === 403) {
    return new GatewayError('agent_auth_failed', `the agent refused the gateway's credentials (HTTP ${status})`, { details });
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
    return new GatewayError('agent_rate_limited', 'the agent is rate limiting requests (HTTP 429)', {
      details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500) return new GatewayError('agent_unavailable', `the agent failed (HTTP ${status})`, { details });
  if (status >= 300 && status < 400) {
    return new GatewayError('agent_rejected', `the agent answered with a redirect (HTTP ${status}), which is not followed`, { details });
  }
  if (status >= 400) return new GatewayError('agent_rejected', `the agent rejected the request (HTTP ${status})`, { details });
  return new GatewayError('agent_protocol_error', `unexpected HTTP status ${status} from the agent`, { details });
}

export const isEventStream = (contentType: string | null): boolean =>
  contentType !== null && contentType.split(';')[0]!.trim().toLowerCase() === 'text/event-stream';
