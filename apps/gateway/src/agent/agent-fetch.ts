// The part of `fetch` the agent client uses (`AgentFetch`, below), and what its transports share.

/**
 * The abort reason when the agent has been silent for the whole stream
 * timeout: a transport gives the request up at once, without the grace it
 * may give other aborts (web-agent-fetch.ts).
 */
export class AgentSilent extends Error {
  override readonly name = 'AgentSilent';
}

/**
 * How long an aborted request may still take to settle in the runtime's
 * client before the abort is reported (the request then closed): a request
 * aborted while its connection was opening can still be written once the
 * connection is up, and the session's next request must not reach the agent
 * before it (§6). Under 1 s: a cancelled request's connection is closed
 * within 1 s.
 */
export const ABORT_GRACE_MS = 500;

export interface AgentFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  redirect: 'manual';
  signal: AbortSignal;
  /**
   * The agent's answer came after `signal` aborted, while the transport still waited for it (its
   * grace): the request rejects all the same, but the agent has answered with `status` (a 2xx
   * accepted the message: protocol.md §6).
   */
  onLateAnswer?: (status: number) => void;
}

export interface AgentBodyReader {
  /** The next bytes; `value` may be reused by the read after it, so use it before reading again. */
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  /**
   * Gives the body up. After an abort, resolves once the runtime has closed
   * the request's connection: the session's next request must not reach the
   * agent before the old one has ended (protocol.md §6).
   */
  cancel(): Promise<void>;
}

export interface AgentResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: { getReader(): AgentBodyReader; cancel(): Promise<void> } | null;
}

/**
 * The part of `fetch` the agent client uses. `agent/web-agent-fetch.ts`
 * wraps the runtime's own `fetch` (Deno); on Node, `runtime/node-agent-fetch.ts`
 * is a lighter one over undici's `Pool` (Node 20's bundled fetch costs
 * several times more CPU per request).
 */
export type AgentFetch = (url: string, init: AgentFetchInit) => Promise<AgentResponse>;
