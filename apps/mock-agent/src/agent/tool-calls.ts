/** A tool call the mock agent issued, remembered so the `tool_result` can be answered by name and path. */
export interface IssuedToolCall {
  tool_call_id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ToolCallRegistry {
  /** `call_1`, `call_2`, … unique for the life of the app (a reset does not restart it). */
  nextId(): string;
  remember(call: IssuedToolCall): void;
  lookup(toolCallId: string): IssuedToolCall | undefined;
}

/** Keeps the last `limit` calls: the agent's memory stays bounded however long the mock runs. */
export function createToolCallRegistry(limit = 1000): ToolCallRegistry {
  const calls = new Map<string, IssuedToolCall>();
  let counter = 0;
  return {
    nextId: () => `call_${++counter}`,
    remember(call) {
      calls.delete(call.tool_call_id);
      calls.set(call.tool_call_id, call);
      while (calls.size > limit) {
        const oldest = calls.keys().next().value;
        if (oldest === undefined) break;
        calls.delete(oldest);
      }
    },
    lookup: (toolCallId) => calls.get(toolCallId),
  };
}
