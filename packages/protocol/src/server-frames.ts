import { z } from 'zod';
import { PROTOCOL_VERSION, RequestIdSchema, SeqSchema, SessionIdSchema, safeInteger } from './common.ts';
import {
  AgentErrorEventSchema,
  DoneEventSchema,
  OtherEventTypeSchema,
  type AgentErrorEvent,
  type DoneEvent,
  type TokenEvent,
  type ToolCallEvent,
  TokenEventSchema,
  ToolCallEventSchema,
} from './agent.ts';
import { GATEWAY_ERROR_CODES, GATEWAY_ERROR_RETRYABLE, GatewayErrorCodeSchema, type GatewayErrorCode } from './errors.ts';

// Gateway → IDE (protocol.md §5). Every frame carries `seq`; every frame of a
// turn carries its `request_id`.

const relayed = { request_id: RequestIdSchema, seq: SeqSchema };

/**
 * The gateway's own frames of a connection carry no `request_id`. An agent
 * event of the same type (§4 forwards unknown types unchanged) is relayed
 * with its turn's `request_id`: a `RelayedUnknownEvent`, never taken for these.
 */
const noRequestId = (
  // Typed `never` (so the frame's `request_id` is `undefined` to TypeScript): the check refuses
  // every value. Not `z.never()`, which zod-to-openapi cannot write.
  z.unknown().refine(() => false, 'never present on this frame') as unknown as z.ZodType<never>
)
  .optional()
  .meta({ description: 'Never present: an agent event of this type is relayed with its turn’s `request_id` (RelayedUnknownEvent).', not: {} });

export const SessionStartedSchema = z
  .looseObject({
    type: z.literal('session_started'),
    seq: SeqSchema,
    session_id: SessionIdSchema,
    protocol_version: z.literal(PROTOCOL_VERSION).meta({ type: 'integer', const: PROTOCOL_VERSION }),
    request_id: noRequestId,
  })
  .meta({ id: 'SessionStarted', description: 'The first frame of every connection.' });
export type SessionStarted = z.infer<typeof SessionStartedSchema>;

export const RelayedTokenSchema = TokenEventSchema.extend(relayed).meta({
  id: 'RelayedToken',
  description: 'One or more coalesced `token` events: the concatenated content is exactly the agent’s.',
});
export const RelayedToolCallSchema = ToolCallEventSchema.extend(relayed).meta({ id: 'RelayedToolCall' });
export const RelayedDoneSchema = DoneEventSchema.extend(relayed).meta({ id: 'RelayedDone' });
export const RelayedAgentErrorSchema = AgentErrorEventSchema.extend({
  ...relayed,
  // The gateway drops an agent's `source: "gateway"`: that value is the gateway's own errors' (§5).
  source: z
    .unknown()
    .refine((source) => source !== 'gateway', 'an agent error never carries source "gateway"')
    .optional()
    .meta({ description: 'The agent\'s own, if it sent one; never `"gateway"`.', not: { const: 'gateway' } }),
}).meta({
  id: 'RelayedAgentError',
  description: 'An agent `error` event, relayed with its own `code`; it has no `source: "gateway"`.',
});
export const RelayedUnknownEventSchema = z
  .looseObject({ type: OtherEventTypeSchema, ...relayed })
  .meta({ id: 'RelayedUnknownEvent', description: 'An agent event of a type the protocol does not name, relayed unchanged.' });

type Relayed = { request_id: string; seq: number };
export type RelayedToken = TokenEvent & Relayed;
export type RelayedToolCall = ToolCallEvent & Relayed;
export type RelayedDone = DoneEvent & Relayed;
export type RelayedAgentError = AgentErrorEvent & Relayed;
export type RelayedUnknownEvent = { type: string; [key: string]: unknown } & Relayed;

/**
 * What the gateway puts in an error's `details`, by code. Loose: a later
 * gateway may add fields.
 */
export const GatewayErrorDetailsSchema = z
  .looseObject({
    issues: z
      .array(z.looseObject({ path: z.array(z.unknown()).meta({ description: 'Keys (strings) and indexes (numbers).' }), message: z.string(), code: z.string() }))
      .optional()
      .meta({ description: '`invalid_message` (IDE frame) and `agent_protocol_error` (agent event): what is wrong, field by field.' }),
    request_id: z
      .unknown()
      .optional()
      .meta({ description: '`invalid_message`: the refused frame’s `request_id` when it cannot be the error’s own: invalid, or used by a live turn (§2).' }),
    status: safeInteger().optional().meta({ description: 'Agent errors mapped from an HTTP answer (§5): the agent’s HTTP status.' }),
    tool_call_id: z.string().optional().meta({ description: '`duplicate_tool_result`: the `tool_call_id` already answered.' }),
    max_queued_messages: safeInteger().optional().meta({ description: '`queue_full`: the limit (`GATEWAY__MAX_QUEUED_MESSAGES`).' }),
    max_event_bytes: safeInteger().optional().meta({ description: '`agent_protocol_error` for an oversized event: `GATEWAY__MAX_EVENT_BYTES`.' }),
    max_line_chars: safeInteger().optional().meta({ description: '`agent_protocol_error` for an oversized line: the longest line the gateway reads, in characters.' }),
    max_data_lines: safeInteger().optional().meta({ description: '`agent_protocol_error` for an event of too many `data` lines: the most one event may have (`GATEWAY__MAX_EVENT_BYTES` / 16, at least 1,024).' }),
  })
  .meta({ id: 'GatewayErrorDetails', description: 'What the gateway adds to an error, by code.' });
export type GatewayErrorDetails = z.infer<typeof GatewayErrorDetailsSchema>;

const errorShape = {
  type: z.literal('error'),
  code: GatewayErrorCodeSchema,
  message: z.string(),
  retryable: z.boolean(),
  source: z.literal('gateway'),
  request_id: RequestIdSchema.optional(),
  details: GatewayErrorDetailsSchema.optional(),
  retry_after_ms: safeInteger(0).optional(),
};

/** `retryable` is the one §5 gives the code: a check in the schemas, an if/then/else in the documents. */
const retryableOfItsCode = z.superRefine((value: { code: GatewayErrorCode; retryable: boolean }, ctx) => {
  const expected: boolean | undefined = GATEWAY_ERROR_RETRYABLE[value.code];
  if (expected !== undefined && typeof value.retryable === 'boolean' && value.retryable !== expected) {
    ctx.addIssue({ code: 'custom', path: ['retryable'], input: value.retryable, message: `${value.code} has retryable ${expected} (protocol.md §5)` });
  }
});
const retryableOfItsCodeDocs = {
  if: { properties: { code: { enum: GATEWAY_ERROR_CODES.filter((code) => GATEWAY_ERROR_RETRYABLE[code]) } } },
  then: { properties: { retryable: { const: true } } },
  else: { properties: { retryable: { const: false } } },
};

/**
 * An error made by the gateway (protocol.md §5), as the contract names it: the
 * body of a refused upgrade (§1) as is, and a WebSocket frame with `seq`
 * (`GatewayErrorFrameSchema`). `request_id` is absent only for refused frames
 * whose id is unusable (§2).
 */
export const WSErrorResponseSchema = z
  .looseObject(errorShape)
  .check(retryableOfItsCode)
  .meta({
    id: 'WSErrorResponse',
    description:
      'An error made by the gateway (`source: "gateway"`): the HTTP body of a refused upgrade, and with `seq` a WebSocket frame (GatewayErrorFrame).',
    ...retryableOfItsCodeDocs,
  });
export type WSErrorResponse = z.infer<typeof WSErrorResponseSchema>;

/** The same schema by the names it had before: the body of a refused upgrade (§1). */
export const ErrorBodySchema = WSErrorResponseSchema;
export type ErrorBody = WSErrorResponse;
export const HttpErrorBodySchema = WSErrorResponseSchema;
export type HttpErrorBody = WSErrorResponse;

export const GatewayErrorFrameSchema = z
  .looseObject({ ...errorShape, seq: SeqSchema })
  .check(retryableOfItsCode)
  .meta({ id: 'GatewayErrorFrame', description: 'A `WSErrorResponse` sent on the WebSocket: with the connection’s `seq`.', ...retryableOfItsCodeDocs });
export type GatewayErrorFrame = z.infer<typeof GatewayErrorFrameSchema>;

export const WSPongSchema = z
  .looseObject({ type: z.literal('pong'), seq: SeqSchema, id: z.string().optional(), request_id: noRequestId })
  .meta({ id: 'WSPong', description: 'Answer to `ping`, with the same `id`.' });
export type WSPong = z.infer<typeof WSPongSchema>;

export const ServerFrameSchema = z
  .union([
    SessionStartedSchema,
    RelayedTokenSchema,
    RelayedToolCallSchema,
    RelayedDoneSchema,
    GatewayErrorFrameSchema,
    RelayedAgentErrorSchema,
    WSPongSchema,
    RelayedUnknownEventSchema,
  ])
  .meta({ id: 'ServerFrame', description: 'Any frame the gateway sends to the IDE.' });

/**
 * The `type`s of the frames the protocol names (§5). An agent event of any
 * other type is relayed as a `RelayedUnknownEvent`; so is one named
 * `session_started` or `pong`, which carries its turn's `request_id` where the
 * gateway's own never does. `parseServerFrame` tells them apart.
 */
export const SERVER_FRAME_TYPES = ['session_started', 'token', 'tool_call', 'done', 'error', 'pong'] as const;
export type ServerFrameType = (typeof SERVER_FRAME_TYPES)[number];

/**
 * Frames of known types, as `parseServerFrame` classifies them: narrows on
 * `type`; of the two kinds of `error`, `isGatewayError` narrows to the
 * gateway's own (`source: "gateway"`).
 */
export type KnownServerFrame =
  | SessionStarted
  | RelayedToken
  | RelayedToolCall
  | RelayedDone
  | GatewayErrorFrame
  | RelayedAgentError
  | WSPong;
/** Every frame, including agent events of types the protocol does not name. */
export type ServerFrame = KnownServerFrame | RelayedUnknownEvent;

export const isGatewayError = (frame: { type: string; source?: unknown }): frame is GatewayErrorFrame =>
  frame.type === 'error' && frame.source === 'gateway';
