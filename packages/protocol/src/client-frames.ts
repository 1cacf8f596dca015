import { z } from 'zod';
import { RequestIdSchema } from './common.ts';

// Frames are loose objects: fields the gateway does not know are kept and
// forwarded to the agent unchanged (protocol.md §2).

export const WSUserMessageSchema = z
  .looseObject({
    type: z.literal('user_message'),
    content: z.string().min(1, 'content must be a non-empty string'),
    request_id: RequestIdSchema.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'WSUserMessage', description: 'A message typed by the user; starts a turn.' });
export type WSUserMessage = z.infer<typeof WSUserMessageSchema>;

export const WSToolResultSchema = z
  .looseObject({
    type: z.literal('tool_result'),
    tool_call_id: z.string().min(1, 'tool_call_id must be a non-empty string'),
    // Any JSON value, `null` included; a missing key is refused. Frames come
    // from JSON.parse, so `undefined` can only mean the key is absent. The
    // `: boolean` keeps TypeScript from inferring a type predicate, which would
    // narrow the type to `{} | null` and refuse a client's `unknown` value.
    result: z.unknown().refine((value): boolean => value !== undefined, 'result is required (null is a value)'),
    is_error: z.boolean().optional(),
    request_id: RequestIdSchema.optional(),
  })
  .meta({ id: 'WSToolResult', description: "The IDE's answer to a `tool_call`; starts a turn." });
export type WSToolResult = z.infer<typeof WSToolResultSchema>;

export const WSCancelSchema = z
  .looseObject({
    type: z.literal('cancel'),
    request_id: RequestIdSchema.optional(),
  })
  .meta({
    id: 'WSCancel',
    description: 'Without `request_id`: the in-flight turn and every queued turn. With it: that turn only.',
  });
export type WSCancel = z.infer<typeof WSCancelSchema>;

export const WSPingSchema = z
  .looseObject({
    type: z.literal('ping'),
    id: z.string().optional(),
  })
  .meta({ id: 'WSPing', description: 'Application-level ping, answered by `pong` with the same `id`.' });
export type WSPing = z.infer<typeof WSPingSchema>;

export const ClientMessageSchema = z
  .discriminatedUnion('type', [WSUserMessageSchema, WSToolResultSchema, WSCancelSchema, WSPingSchema])
  .meta({ id: 'ClientMessage', description: 'Any frame the IDE sends.' });
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** The frames that start a turn. */
export type TurnMessage = WSUserMessage | WSToolResult;

export const CLIENT_MESSAGE_TYPES = ['user_message', 'tool_result', 'cancel', 'ping'] as const;
export type ClientMessageType = (typeof CLIENT_MESSAGE_TYPES)[number];
