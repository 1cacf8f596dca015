import { Hono } from 'hono';
import type { NotFoundResponse } from '@agent-gateway/protocol';
import type { AgentClient } from './agent/agent-client.ts';
import { GatewayError, toHttpResponse } from './errors.ts';
import { createDocumentRoutes } from './http/document-routes.ts';
import { createHealthRoutes } from './http/health-routes.ts';
import { createWsHandler, type WsRouteDeps } from './http/ws-route.ts';
import { loggers } from './observability/logger.ts';
import { shownPath } from './observability/redact.ts';

/** What the app is built from: the WebSocket route's dependencies, and the agent (`/ready` probes it). */
export interface AppDeps extends WsRouteDeps {
  agent: AgentClient;
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
    return toHttpResponse(new GatewayError('internal_error', 'internal error'), 500);
  });
  return app;
}
