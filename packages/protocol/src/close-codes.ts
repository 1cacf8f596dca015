/**
 * WebSocket close codes of the protocol (RFC 6455 §7.4.1; 4000–4999 are
 * private-use). 1005, 1006 and 1015 are never sent: they are reserved for
 * reporting, not for the wire. A peer that stops answering pings is dropped
 * (protocol.md §8): on Node without a close frame (the client sees 1006), on
 * Deno with 1001 and Deno's own reason.
 */
export const CloseCode = {
  /** Normal closure: what a client closes with. The gateway does not send it. */
  NORMAL: 1000,
  /** The gateway is shutting down. */
  GOING_AWAY: 1001,
  /** A text frame that is not valid UTF-8 (Node; Deno drops the connection: 1006). */
  INVALID_PAYLOAD: 1007,
  /** Slow consumer: the client stayed over the buffered-bytes limit too long. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than `GATEWAY__MAX_MESSAGE_BYTES`. */
  MESSAGE_TOO_BIG: 1009,
  /** Unexpected server condition: the gateway failed to open the session (a fault of its own). */
  INTERNAL_ERROR: 1011,
  /** Another connection took this session over. */
  SESSION_TAKEN_OVER: 4001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The reason text sent with each close code. */
export const CLOSE_REASONS: Record<CloseCode, string> = {
  [CloseCode.NORMAL]: 'normal',
  [CloseCode.GOING_AWAY]: 'shutting_down',
  [CloseCode.INVALID_PAYLOAD]: 'invalid_payload',
  [CloseCode.POLICY_VIOLATION]: 'slow_consumer',
  [CloseCode.MESSAGE_TOO_BIG]: 'message_too_big',
  [CloseCode.INTERNAL_ERROR]: 'internal_error',
  [CloseCode.SESSION_TAKEN_OVER]: 'session_taken_over',
};
