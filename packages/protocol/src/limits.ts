/**
 * The gateway's defaults for the limits an IDE runs into (protocol.md §10).
 * A deployment may set others; these are what a client can plan for when it
 * is told nothing else. The gateway's configuration takes its defaults from here.
 */
export const DEFAULT_LIMITS = {
  /**
   * `GATEWAY__MAX_MESSAGE_BYTES`: a client frame larger than this (UTF-8
   * bytes of its text) closes the socket with 1009, and with it every turn of
   * the session. Keep a large `tool_result` under it: truncate it, or send
   * an error result (`is_error: true`) instead.
   */
  max_message_bytes: 1_048_576,
  /** `GATEWAY__MAX_QUEUED_MESSAGES`: turns that may wait behind the in-flight one; the next is refused with `queue_full`. */
  max_queued_messages: 16,
  /** Longest `session_id` and `request_id`, in characters. */
  max_id_length: 128,
} as const;
