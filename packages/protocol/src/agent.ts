import { z } from 'zod';
import { RequestIdSchema, SessionIdSchema, safeInteger } from './common.ts';
import { WSToolResultSchema, WSUserMessageSchema } from './client-frames.ts';

// ---- Gateway → agent (protocol.md §3) ----

export const AgentMessageSchema = z
  .discriminatedUnion('type', [
    WSUserMessageSchema.extend({ request_id: RequestIdSchema }),
    WSToolResultSchema.extend({ request_id: RequestIdSchema }),
  ])
  .meta({ id: 'AgentMessage', description: "The IDE's frame as received, with `request_id` filled in." });
export type AgentMessage = z.infer<typeof AgentMessageSchema>;

export const AgentRequestSchema = z
  .looseObject({
    session_id: SessionIdSchema,
    request_id: RequestIdSchema,
    message: AgentMessageSchema,
  })
  .meta({ id: 'AgentRequest', description: 'Body of `POST /agent/message/stream`.' });
export type AgentRequest = z.infer<typeof AgentRequestSchema>;

// ---- Agent → gateway events (protocol.md §4) ----

export const TokenEventSchema = z
  .looseObject({ type: z.literal('token'), content: z.string() })
  .meta({ id: 'TokenEvent', description: 'A text delta.' });
export type TokenEvent = z.infer<typeof TokenEventSchema>;

export const ToolCallEventSchema = z
  .looseObject({
    type: z.literal('tool_call'),
    tool_call_id: z.string(),
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ToolCallEvent', description: 'The agent asks the IDE to run a tool.' });
export type ToolCallEvent = z.infer<typeof ToolCallEventSchema>;

export const KNOWN_FINISH_REASONS = ['stop', 'tool_calls', 'length', 'cancelled'] as const;
export type KnownFinishReason = (typeof KNOWN_FINISH_REASONS)[number];

export const FinishReasonSchema = z
  .union([z.enum(KNOWN_FINISH_REASONS), z.string()])
  .meta({ id: 'FinishReason', description: '`stop`, `tool_calls`, `length`, `cancelled` or another string.' });
/** Known reasons autocomplete; any other string is allowed. */
export type FinishReason = KnownFinishReason | (string & {});

export const UsageSchema = z
  .looseObject({
    input_tokens: safeInteger(0).optional(),
    output_tokens: safeInteger(0).optional(),
  })
  .meta({ id: 'Usage' });
export type Usage = z.infer<typeof UsageSchema>;

export const DoneEventSchema = z
  .looseObject({
    type: z.literal('done'),
    finish_reason: FinishReasonSchema,
    usage: UsageSchema.optional(),
  })
  .meta({ id: 'DoneEvent', description: 'Terminal: the turn is over.' });
// A mapped type, not `Omit<…, 'finish_reason'>`: `Omit` over a loose object's
// index signature drops every named key, `type` included, and the union of
// events could no longer be narrowed on `type`.
type DoneEventShape = z.infer<typeof DoneEventSchema>;
export type DoneEvent = { [K in keyof DoneEventShape]: K extends 'finish_reason' ? FinishReason : DoneEventShape[K] };

export const AgentErrorEventSchema = z
  .looseObject({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    retryable: z.boolean().optional(),
  })
  .meta({ id: 'AgentErrorEvent', description: 'Terminal: the agent failed the turn. An absent `retryable` means false.' });
export type AgentErrorEvent = z.infer<typeof AgentErrorEventSchema>;

export const KnownAgentEventSchema = z
  .discriminatedUnion('type', [TokenEventSchema, ToolCallEventSchema, DoneEventSchema, AgentErrorEventSchema])
  .meta({ id: 'KnownAgentEvent' });
export type KnownAgentEvent = TokenEvent | ToolCallEvent | DoneEvent | AgentErrorEvent;

export const KNOWN_AGENT_EVENT_TYPES = ['token', 'tool_call', 'done', 'error'] as const;
export type KnownAgentEventType = (typeof KNOWN_AGENT_EVENT_TYPES)[number];

// A `type` that is none of the known ones. Without this exclusion a known type
// with a wrong field (`token` whose `content` is a number) would match the
// catch-all branch, which §4 calls a protocol error. In the documents it is
// `not: {enum: […]}`, which every JSON Schema validator reads: a lookahead
// regex would not compile in RE2 (Go), Rust's regex or pydantic.
export const OtherEventTypeSchema = z
  .string()
  .refine((type) => !(KNOWN_AGENT_EVENT_TYPES as readonly string[]).includes(type), 'a known event type must match its own schema')
  .meta({
    description: `Any string except ${KNOWN_AGENT_EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}.`,
    not: { enum: [...KNOWN_AGENT_EVENT_TYPES] },
  });

export const UnknownAgentEventSchema = z
  .looseObject({ type: OtherEventTypeSchema })
  .meta({ id: 'UnknownAgentEvent', description: 'An event of another type: forwarded unchanged.' });
/** An event whose `type` the protocol does not name; relayed as is. */
export type UnknownAgentEvent = { type: string; [key: string]: unknown };

export const AgentEventSchema = z
  .union([KnownAgentEventSchema, UnknownAgentEventSchema])
  .meta({ id: 'AgentEvent', description: 'The JSON object carried by one SSE event.' });
export type AgentEvent = KnownAgentEvent | UnknownAgentEvent;

export const TERMINAL_EVENT_TYPES = ['done', 'error'] as const;
export const isTerminalEventType = (type: string): type is 'done' | 'error' => type === 'done' || type === 'error';
