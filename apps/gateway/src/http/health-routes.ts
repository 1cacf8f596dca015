import { Hono } from 'hono';
import type { AgentClient } from '../agent/agent-client.ts';
import type { GatewayConfig } from '../config.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { SessionManager } from '../session/session-manager.ts';

export interface HealthRouteDeps {
  config: GatewayConfig;
  agent: AgentClient;
  sessions: SessionManager;
  metrics: GatewayMetrics;
}

/** `/health` (liveness, never calls the agent), `/ready` (probes the agent), `/metrics` (Prometheus). */
export function createHealthRoutes({ config, agent, sessions, metrics }: HealthRouteDeps): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    if (sessions.shuttingDown) return c.json({ status: 'shutting_down' }, 503);
    const healthy = await agent.isHealthy(config.agentHealthPath, config.requestTimeoutMs);
    return healthy ? c.json({ status: 'ready' }) : c.json({ status: 'agent_unavailable' }, 503);
  });
  app.get('/metrics', async (c) => {
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  return app;
}
