import { GATEWAY_ERROR_RETRYABLE, type GatewayErrorCode } from '../errors.ts';
import type { ErrorBody } from '../server-frames.ts';

// Example frames from protocol.md. They are written into the generated
// documents, and the tests check each one against its schema.

export const CLIENT_EXAMPLES = {
  user_message: { type: 'user_message', content: 'List the files of src/', request_id: 'r-42' },
  tool_result: { type: 'tool_result', tool_call_id: 'call-1', result: 'export const x = 1;\n', request_id: 'r-43' },
  cancel: { type: 'cancel', request_id: 'r-42' },
  ping: { type: 'ping', id: 'p-1' },
} as const;

export const AGENT_EXAMPLES = {
  token: { type: 'token', content: 'Hello' },
  tool_call: { type: 'tool_call', tool_call_id: 'call-1', name: 'read_file', arguments: { path: 'src/index.ts' } },
  done: { type: 'done', finish_reason: 'stop', usage: { input_tokens: 12, output_tokens: 34 } },
  error: { type: 'error', code: 'model_overloaded', message: 'try again later', retryable: true },
  unknown: { type: 'thinking', content: 'planning…' },
} as const;

export const AGENT_REQUEST_EXAMPLE = {
  session_id: 's1',
  request_id: 'r-42',
  message: { type: 'user_message', content: 'hi', request_id: 'r-42' },
} as const;

const ERROR_MESSAGES: Partial<Record<GatewayErrorCode, string>> = {
  invalid_session_id: 'session_id must be 1-128 characters of [A-Za-z0-9._:-]',
  unauthorized: 'missing or invalid token',
  forbidden: 'not allowed',
  server_busy: 'too many connections',
  shutting_down: 'the gateway is shutting down',
  agent_rate_limited: 'the agent is rate limited',
};

/** A gateway error body (as sent on a refused upgrade) for `code`. */
export const errorBodyExample = (code: GatewayErrorCode): ErrorBody => ({
  type: 'error',
  code,
  message: ERROR_MESSAGES[code] ?? code.replaceAll('_', ' '),
  retryable: GATEWAY_ERROR_RETRYABLE[code],
  source: 'gateway',
});

export const SERVER_EXAMPLES = {
  session_started: { type: 'session_started', seq: 1, session_id: 's1', protocol_version: 1 },
  token: { type: 'token', content: 'Hello', request_id: 'r-42', seq: 2 },
  tool_call: {
    type: 'tool_call',
    tool_call_id: 'call-1',
    name: 'read_file',
    arguments: { path: 'src/index.ts' },
    request_id: 'r-42',
    seq: 3,
  },
  done: { type: 'done', finish_reason: 'tool_calls', request_id: 'r-42', seq: 4 },
  gateway_error: { ...errorBodyExample('agent_rate_limited'), request_id: 'r-44', retry_after_ms: 2000, seq: 5 },
  agent_error: { ...AGENT_EXAMPLES.error, request_id: 'r-45', seq: 6 },
  pong: { type: 'pong', id: 'p-1', seq: 7 },
  unknown_event: { ...AGENT_EXAMPLES.unknown, request_id: 'r-45', seq: 8 },
} as const;
