import type { Hono } from 'hono';
import { AgentClient } from './agent/agent-client.ts';
import type { AgentFetch } from './agent/agent-fetch.ts';
import { createAuthenticator, type HeaderOf } from './auth/authenticate.ts';
import { createApp } from './app.ts';
import type { GatewayConfig } from './config.ts';
import type { Authenticate, ClientAddress, RequestTarget, Upgrade } from './http/ws-route.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { SessionManager } from './session/session-manager.ts';

/**
 * How long a request being answered at shutdown (a `/ready` probe given up, a
 * client that never sends the rest of its body) may hold the exit before its
 * connection is cut.
 */
export const CLOSE_REQUESTS_MS = 1000;

export interface RuntimePieces {
  upgrade: Upgrade;
  /** The request target as the client sent it, where the runtime's URL is rebuilt (dot segments resolved): Node. */
  requestTarget?: RequestTarget;
  /** The address of the client's end of the connection, for the log. */
  clientAddress?: ClientAddress;
  /**
   * An accepted socket opens (or its handshake fails) before the next request
   * is handled (Node). Absent: it may open in a later task, after its 101 has
   * gone out (Deno), and holds a place under the connection limit until then.
   */
  opensAtOnce?: boolean;
  /** A request header as sent, where the runtime's Request does not keep it so (Node's upgrades). */
  header?: HeaderOf;
  /** Sockets the gateway has let go of that the runtime still holds open (Deno cannot destroy one). */
  lingeringSockets?: () => number;
  /** How the agent is called; the global `fetch` when absent. */
  fetch?: AgentFetch;
}

export interface Gateway {
  app: Hono;
  sessions: SessionManager;
  metrics: GatewayMetrics;
  agent: AgentClient;
}

/** Builds the gateway's parts from its config and the runtime's pieces; serving is the caller's. */
export function createGateway(config: GatewayConfig, runtime: RuntimePieces, authenticate: Authenticate | undefined = createAuthenticator(config, runtime.header)): Gateway {
  const metrics = new GatewayMetrics();
  const agent = new AgentClient({
    agentUrl: config.agentUrl,
    internalApiKey: config.internalApiKey,
    streamTimeoutMs: config.agentStreamTimeoutMs,
    maxEventBytes: config.maxEventBytes,
    ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
  });
  const sessions = new SessionManager({ config, agent, metrics });
  const app = createApp({
    config,
    agent,
    sessions,
    metrics,
    upgrade: runtime.upgrade,
    ...(runtime.requestTarget ? { requestTarget: runtime.requestTarget } : {}),
    ...(runtime.clientAddress ? { clientAddress: runtime.clientAddress } : {}),
    ...(runtime.opensAtOnce ? { opensAtOnce: true } : {}),
    ...(runtime.lingeringSockets ? { lingeringSockets: runtime.lingeringSockets } : {}),
    ...(authenticate ? { authenticate } : {}),
  });
  return { app, sessions, metrics, agent };
}
