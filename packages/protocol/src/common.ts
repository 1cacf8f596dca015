import { z } from 'zod';

/** Version of the wire protocol, sent in `session_started`. */
export const PROTOCOL_VERSION = 1 as const;

/** 1–128 printable ASCII characters (0x21–0x7E): the id also travels in the `x-request-id` header. */
export const REQUEST_ID_PATTERN = /^[\x21-\x7E]{1,128}$/;

/** One path segment of 1–128 characters of `[A-Za-z0-9._:-]`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const RequestIdSchema = z
  .string()
  .regex(REQUEST_ID_PATTERN, 'request_id must be 1-128 printable ASCII characters (0x21-0x7E)')
  .meta({ id: 'RequestId', description: '1–128 printable ASCII characters (0x21–0x7E); also sent as `x-request-id`.' });
export type RequestId = z.infer<typeof RequestIdSchema>;

export const SessionIdSchema = z
  .string()
  .regex(SESSION_ID_PATTERN, 'session_id must be 1-128 characters of [A-Za-z0-9._:-]')
  .meta({ id: 'SessionId', description: 'One path segment of 1–128 characters of `[A-Za-z0-9._:-]`.' });
export type SessionId = z.infer<typeof SessionIdSchema>;

/**
 * An integer a JavaScript number holds exactly. Zod's `.int()` refuses anything past ±(2^53 − 1)
 * already; the bounds are written out so that every generated document says so (OpenAPI included).
 */
export const safeInteger = (min: number = Number.MIN_SAFE_INTEGER) =>
  // `abort`: past the safe range `.int()` has said so, and `.max` would say it again.
  z.number().int({ abort: true }).min(min).max(Number.MAX_SAFE_INTEGER);

export const SeqSchema = safeInteger(1)
  .meta({ id: 'Seq', description: 'Starts at 1 on each connection and grows by exactly 1 per frame.' });

export const isRequestId = (value: unknown): value is string =>
  typeof value === 'string' && REQUEST_ID_PATTERN.test(value);

export const isSessionId = (value: unknown): value is string =>
  typeof value === 'string' && SESSION_ID_PATTERN.test(value);
