import type { AgentErrorEvent, DoneEvent, FinishReason, TokenEvent, ToolCallEvent, Usage } from '@agent-gateway/protocol';

// Builders for the agent events of protocol.md §4, typed by the protocol package.

export const tokenEvent = (content: string): TokenEvent => ({ type: 'token', content });

export const doneEvent = (finishReason: FinishReason, usage?: Usage): DoneEvent => ({
  type: 'done',
  finish_reason: finishReason,
  ...(usage === undefined ? {} : { usage }),
});

export const toolCallEvent = (toolCallId: string, name: string, args: Record<string, unknown>): ToolCallEvent => ({
  type: 'tool_call',
  tool_call_id: toolCallId,
  name,
  arguments: args,
});

export const errorEvent = (code: string, message: string, retryable?: boolean): AgentErrorEvent => ({
  type: 'error',
  code,
  message,
  ...(retryable === undefined ? {} : { retryable }),
});

/**
 * The deterministic content of token `index` (0-based): its decimal digits,
 * zero-padded on the left to `size` characters, keeping the last `size`
 * (`tokenText(7, 4)` is `0007`, `tokenText(12345, 4)` is `2345`).
 */
export function tokenText(index: number, size = 4): string {
  const digits = String(index).padStart(size, '0');
  return digits.slice(digits.length - size);
}
