import { CLOSE_REASONS, CloseCode } from '../close-codes.ts';
import { GATEWAY_ERROR_RETRYABLE } from '../errors.ts';
import { CLIENT_EXAMPLES, SERVER_EXAMPLES } from './examples.ts';
import type { JsonObject } from './json.ts';

interface MessageSpec {
  schema: string;
  title: string;
  summary: string;
  description?: string;
  example: object;
  /** The frame belongs to a turn and carries its `request_id`. */
  turn?: boolean;
}

const errorCodeTable = (): string =>
  [
    '| code | retryable |',
    '|---|---|',
    ...Object.entries(GATEWAY_ERROR_RETRYABLE).map(([code, retryable]) => `| \`${code}\` | ${retryable} |`),
  ].join('\n');

/** When each code is used: the same words as the package README's table. */
const CLOSE_WHEN: Record<CloseCode, string> = {
  [CloseCode.NORMAL]: 'normal closure: what a client closes with (the gateway does not send it)',
  [CloseCode.GOING_AWAY]: 'the gateway shuts down',
  [CloseCode.INVALID_PAYLOAD]: 'a text frame that is not valid UTF-8 (Node; Deno drops the connection, 1006)',
  [CloseCode.POLICY_VIOLATION]: 'the client stayed over `GATEWAY__MAX_BUFFERED_BYTES` too long',
  [CloseCode.MESSAGE_TOO_BIG]: 'a frame over `GATEWAY__MAX_MESSAGE_BYTES`',
  [CloseCode.INTERNAL_ERROR]: 'unexpected server condition: the gateway failed to open the session (a fault of its own)',
  [CloseCode.SESSION_TAKEN_OVER]: 'another connection took the session over',
};

export const closeCodeTable = (): string =>
  [
    '| close code | reason | when |',
    '|---|---|---|',
    ...Object.entries(CLOSE_REASONS).map(([code, reason]) => `| ${code} | \`${reason}\` | ${CLOSE_WHEN[Number(code) as CloseCode]} |`),
  ].join('\n');

/** IDE → gateway frames, keyed by message name. */
export const CLIENT_MESSAGES: Record<string, MessageSpec> = {
  user_message: {
    schema: 'WSUserMessage',
    title: 'User message',
    summary: 'A message typed by the user; starts a turn.',
    example: CLIENT_EXAMPLES.user_message,
    turn: true,
  },
  tool_result: {
    schema: 'WSToolResult',
    title: 'Tool result',
    summary: "The IDE's answer to a `tool_call`; starts a turn.",
    description:
      '`result` is required and may be any JSON value, `null` included. On failure `is_error` is true and `result` is the message.',
    example: CLIENT_EXAMPLES.tool_result,
    turn: true,
  },
  cancel: {
    schema: 'WSCancel',
    title: 'Cancel',
    summary: 'Cancels one turn (`request_id`) or the in-flight and every queued turn (no `request_id`).',
    description: 'Each cancelled turn ends with `done`, `finish_reason: "cancelled"`. Cancelling nothing is a no-op.',
    example: CLIENT_EXAMPLES.cancel,
  },
  ping: {
    schema: 'WSPing',
    title: 'Ping',
    summary: 'Application-level ping, answered by `pong` with the same `id`.',
    example: CLIENT_EXAMPLES.ping,
  },
};

/** Gateway → IDE frames, keyed by message name. */
export const SERVER_MESSAGES: Record<string, MessageSpec> = {
  session_started: {
    schema: 'SessionStarted',
    title: 'Session started',
    summary: 'The first frame of every connection.',
    example: SERVER_EXAMPLES.session_started,
  },
  token: {
    schema: 'RelayedToken',
    title: 'Token',
    summary: 'A text delta; consecutive tokens of a turn may be coalesced.',
    example: SERVER_EXAMPLES.token,
    turn: true,
  },
  tool_call: {
    schema: 'RelayedToolCall',
    title: 'Tool call',
    summary: 'The agent asks the IDE to run a tool; the IDE answers with `tool_result`.',
    example: SERVER_EXAMPLES.tool_call,
    turn: true,
  },
  done: {
    schema: 'RelayedDone',
    title: 'Done',
    summary: 'Terminal frame of a turn.',
    example: SERVER_EXAMPLES.done,
    turn: true,
  },
  gateway_error: {
    schema: 'GatewayErrorFrame',
    title: 'Gateway error',
    summary:
      'An error made by the gateway (`source: "gateway"`): the terminal frame of a turn, or the refusal of a frame that started none (§2: its `request_id` is then one no live turn uses, or in `details`).',
    description: `Error codes (a closed set):\n\n${errorCodeTable()}`,
    example: SERVER_EXAMPLES.gateway_error,
    turn: true,
  },
  agent_error: {
    schema: 'RelayedAgentError',
    title: 'Agent error',
    summary: "The agent's `error` event, relayed with its own `code`; terminal. An absent `retryable` means false.",
    description:
      'A `source` the agent sent is relayed, except `"gateway"`, which the gateway drops: `source: "gateway"` marks the gateway\'s own errors only.',
    example: SERVER_EXAMPLES.agent_error,
    turn: true,
  },
  pong: {
    schema: 'WSPong',
    title: 'Pong',
    summary: 'Answer to `ping`, with the same `id`.',
    example: SERVER_EXAMPLES.pong,
  },
  unknown_event: {
    schema: 'RelayedUnknownEvent',
    title: 'Other agent event',
    summary: 'An agent event of a type the protocol does not name, relayed unchanged (with `request_id` and `seq`).',
    example: SERVER_EXAMPLES.unknown_event,
    turn: true,
  },
};

export function toAsyncApiMessage(name: string, spec: MessageSpec): JsonObject {
  return {
    name,
    title: spec.title,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    payload: { $ref: `#/components/schemas/${spec.schema}` },
    ...(spec.turn
      ? { correlationId: { description: 'The turn the frame belongs to.', location: '$message.payload#/request_id' } }
      : {}),
    examples: [{ name, payload: spec.example }],
  };
}
