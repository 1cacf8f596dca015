/** What the clients ask the agent for, in `message.metadata.scenario` (the mock agent's scenario names). */
export type Scenario =
  | { name: 'tokens'; count: number; size: number; delay_ms?: number }
  | { name: 'ticks'; interval_ms: number; duration_ms: number };

/** The body the gateway POSTs for a `user_message` (protocol.md §3); DIRECT sends the same. */
export function agentRequestBody(sessionId: string, requestId: string, scenario: Scenario): string {
  return JSON.stringify({
    session_id: sessionId,
    request_id: requestId,
    message: { type: 'user_message', content: 'bench', request_id: requestId, metadata: { scenario } },
  });
}

/** The IDE frame that starts the same turn through the gateway. */
export function userMessageFrame(requestId: string, scenario: Scenario): string {
  return JSON.stringify({ type: 'user_message', content: 'bench', request_id: requestId, metadata: { scenario } });
}
