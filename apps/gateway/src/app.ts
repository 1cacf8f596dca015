import { Hono } from 'hono';
import type { NotFoundResponse } from '@agent-gateway/protocol';
import type { AgentClient } from './agent/agent-client.ts';
import type { GatewayConfig } from './config.ts';
import { GatewayError, toErrorFrame } from './errors.ts';
import { createDocumentRoutes } from './http/document-routes.ts';
import { createHealthRoutes } from './http/health-routes.ts';
import { createWsHandler, type Authenticate, type ClientAddress, type RequestTarget, type Upgrade } from './http/ws-route.ts';
import { loggers } from './observability/logger.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import { shownPath } from './observability/redact.ts';
import type { SessionManager } from './session/session-manager.ts';

export interface AppDeps {
  config: GatewayConfig;
  agent: AgentClient;
  sessions: SessionManager;
  metrics: GatewayMetrics;
  /** The runtime's WebSocket upgrade (runtime/node, runtime/deno). */
  upgrade: Upgrade;
  /** The request target as sent, where the runtime rebuilds the URL (runtime/node). */
  requestTarget?: RequestTarget;
  /** The client's address, for the log (each runtime has its own). */
  clientAddress?: ClientAddress;
  /** Sockets open before the next request is handled (runtime/node): no place is held for an accepted upgrade. */
  opensAtOnce?: boolean;
  /** Sockets let go of but still open in the runtime (Deno): they count under MAX_CONNECTIONS. */
  lingeringSockets?: () => number;
  authenticate?: Authenticate;
}

/** The gateway's routes. Imports nothing runtime-specific: each `main.<runtime>.ts` supplies the runtime pieces. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const log = loggers.server();
  const ws = createWsHandler(deps);
  const rawTarget = deps.requestTarget;
  if (rawTarget !== undefined) {
    // A `/ws/…` target the runtime's URL resolved out of /ws/ (`/ws/../health`, Node) is the
    // WebSocket route's to refuse on its raw path (§1), as where routing sees the raw path (Deno).
    app.use('*', async (c, next) => {
      if (c.req.method === 'GET' && rawTarget(c)?.startsWith('/ws/') && !c.req.path.startsWith('/ws/')) return ws(c);
      await next();
    });
  }
  app.route('/', createHealthRoutes(deps));
  app.route('/', createDocumentRoutes());
  app.get('/ws', ws);
  app.get('/ws/*', ws);
  const secret = deps.config.internalApiKey;
  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${shownPath(c.req.path, secret)}` } satisfies NotFoundResponse, 404));
  app.onError((error, c) => {
    log.error('request failed', { method: c.req.method, path: c.req.path, error });
    return c.json(toErrorFrame(new GatewayError('internal_error', 'internal error')), 500);
  });
  return app;
}
