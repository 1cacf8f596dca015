import type { z } from 'zod';
import { ClientMessageSchema, type ClientMessage } from './client-frames.ts';
import {
  GatewayErrorFrameSchema,
  RelayedAgentErrorSchema,
  RelayedDoneSchema,
  RelayedTokenSchema,
  RelayedToolCallSchema,
  RelayedUnknownEventSchema,
  SessionStartedSchema,
  WSPongSchema,
  type KnownServerFrame,
  type RelayedUnknownEvent,
} from './server-frames.ts';
import {
  AgentErrorEventSchema,
  DoneEventSchema,
  TokenEventSchema,
  ToolCallEventSchema,
  type KnownAgentEvent,
  type KnownAgentEventType,
  type UnknownAgentEvent,
} from './agent.ts';

/** A Zod issue reduced to what travels in `details.issues`. */
export interface ProtocolIssue {
  path: (string | number)[];
  message: string;
  code: string;
}

export type ParseFailure = {
  ok: false;
  /** `invalid_json`: not JSON or not an object; `invalid_message`: wrong shape. */
  error: 'invalid_json' | 'invalid_message';
  message: string;
  issues: ProtocolIssue[];
  /** The parsed value when it was JSON (lets a caller reuse fields such as `request_id`). */
  raw?: unknown;
};

export const toProtocolIssues = (error: z.ZodError): ProtocolIssue[] =>
  error.issues.map((issue) => ({
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
    code: issue.code,
  }));

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Why `JSON.parse` refused a text, without the excerpt of it V8 quotes
 * (`Unexpected token 'x', "…"... is not valid JSON`): a text may hold what no
 * frame or log line may (protocol.md §1: an agent echoing the internal API key),
 * and whoever sent it has it already.
 */
const reasonOf = (cause: unknown): string => String(cause instanceof Error ? cause.message : cause).replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');

const parseJsonObject = (text: string): { ok: true; value: Record<string, unknown> } | ParseFailure => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return { ok: false, error: 'invalid_json', message: `not valid JSON: ${reasonOf(cause)}`, issues: [] };
  }
  if (!isPlainObject(value)) {
    return { ok: false, error: 'invalid_json', message: 'a frame must be a JSON object', issues: [], raw: value };
  }
  return { ok: true, value };
};

const describe = (issues: ProtocolIssue[]): string =>
  issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

/** Parses an IDE text frame. Never throws; extra fields are kept. */
export function parseClientMessage(text: string): { ok: true; message: ClientMessage } | ParseFailure {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  const result = ClientMessageSchema.safeParse(json.value);
  if (!result.success) {
    const issues = toProtocolIssues(result.error);
    return { ok: false, error: 'invalid_message', message: describe(issues), issues, raw: json.value };
  }
  // The frame as received, not the schema's copy: the schemas transform nothing, and a copy
  // made by assignment would lose a field named `__proto__` (§2: extra fields are forwarded).
  return { ok: true, message: json.value as ClientMessage };
}

const KNOWN_EVENT_SCHEMAS = {
  token: TokenEventSchema,
  tool_call: ToolCallEventSchema,
  done: DoneEventSchema,
  error: AgentErrorEventSchema,
} as const satisfies Record<KnownAgentEventType, z.ZodType>;

const TOKEN_PREFIX = '{"type":"token","content":"';

/**
 * The content of `{"type":"token","content":"…"}` written exactly so, when the
 * content has no escape or quote: then it is the JSON string's value as is, and
 * `JSON.parse` would give the same object. Anything else returns undefined.
 * Streaming agents send thousands of these per turn.
 */
function plainTokenContent(data: string): string | undefined {
  // The closing `"}` must follow the prefix, not overlap its quote: `{"type":"token","content":"}` is not JSON.
  if (data.length < TOKEN_PREFIX.length + 2 || !data.startsWith(TOKEN_PREFIX) || !data.endsWith('"}')) return undefined;
  const content = data.slice(TOKEN_PREFIX.length, -2);
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    // A quote or backslash needs the JSON parser; control characters are invalid JSON.
    if (c === 34 || c === 92 || c < 32) return undefined;
  }
  return content;
}

export type ParsedAgentEvent =
  | { ok: true; known: true; event: KnownAgentEvent }
  | { ok: true; known: false; event: UnknownAgentEvent }
  | { ok: false; message: string; issues: ProtocolIssue[] };

/**
 * Parses the `data` of one SSE event. Known types are validated (extra fields
 * kept); another string `type` passes through unchanged; anything else is an
 * error. Never throws.
 */
export function parseAgentEvent(data: string): ParsedAgentEvent {
  const token = plainTokenContent(data);
  if (token !== undefined) return { ok: true, known: true, event: { type: 'token', content: token } };
  const json = parseJsonObject(data);
  if (!json.ok) return { ok: false, message: `event data is ${json.message.replace(/^a frame must be/, 'not')}`, issues: [] };
  const type = json.value.type;
  if (typeof type !== 'string') {
    return {
      ok: false,
      message: 'event has no string `type`',
      issues: [{ path: ['type'], message: 'expected a string', code: 'invalid_type' }],
    };
  }
  // The hot path: a token is valid exactly when its content is a string (what
  // TokenEventSchema checks); skip the schema's copy of the object.
  if (type === 'token' && typeof json.value.content === 'string') {
    return { ok: true, known: true, event: json.value as KnownAgentEvent };
  }
  if (!Object.hasOwn(KNOWN_EVENT_SCHEMAS, type)) {
    return { ok: true, known: false, event: json.value as UnknownAgentEvent };
  }
  const result = KNOWN_EVENT_SCHEMAS[type as KnownAgentEventType].safeParse(json.value);
  if (!result.success) {
    const issues = toProtocolIssues(result.error);
    return { ok: false, message: `invalid \`${type}\` event: ${describe(issues)}`, issues };
  }
  // As received, not the schema's copy (see parseClientMessage).
  return { ok: true, known: true, event: json.value as KnownAgentEvent };
}

export type ParsedServerFrame =
  | { ok: true; known: true; frame: KnownServerFrame }
  | { ok: true; known: false; frame: RelayedUnknownEvent }
  | ParseFailure;

/** The schema of a known frame `type`; `session_started` and `pong` only when the gateway sent them (no `request_id`). */
function knownServerFrameSchema(frame: Record<string, unknown>): z.ZodType | undefined {
  switch (frame.type) {
    case 'token':
      return RelayedTokenSchema;
    case 'tool_call':
      return RelayedToolCallSchema;
    case 'done':
      return RelayedDoneSchema;
    case 'error':
      return frame.source === 'gateway' ? GatewayErrorFrameSchema : RelayedAgentErrorSchema;
    case 'session_started':
      return Object.hasOwn(frame, 'request_id') ? undefined : SessionStartedSchema;
    case 'pong':
      return Object.hasOwn(frame, 'request_id') ? undefined : WSPongSchema;
    default:
      return undefined;
  }
}

/**
 * Parses a gateway text frame on the IDE side. Never throws; extra fields are
 * kept. `known: true` gives a `KnownServerFrame` that narrows on `type`.
 * `known: false` is an agent event the protocol does not name, relayed
 * unchanged (§4), including one that calls itself `session_started` or
 * `pong`: it carries its turn's `request_id`, where the gateway's own frames
 * of those types never do. An agent `error` is a `RelayedAgentError`, a
 * gateway's (`source: "gateway"`) a `GatewayErrorFrame` (`isGatewayError`).
 */
export function parseServerFrame(text: string): ParsedServerFrame {
  const json = parseJsonObject(text);
  if (!json.ok) return json;
  const frame = json.value;
  const known = knownServerFrameSchema(frame);
  const result = (known ?? RelayedUnknownEventSchema).safeParse(frame);
  if (!result.success) {
    const issues = toProtocolIssues(result.error);
    return { ok: false, error: 'invalid_message', message: describe(issues), issues, raw: frame };
  }
  // As received, not the schema's copy (see parseClientMessage).
  return known ? { ok: true, known: true, frame: frame as KnownServerFrame } : { ok: true, known: false, frame: frame as RelayedUnknownEvent };
}
