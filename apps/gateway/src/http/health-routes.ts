import { Hono } from 'hono';
import { HEALTH_OK, type ReadyResponse } from '@agent-gateway/protocol';
import type { AgentClient } from '../agent/agent-client.ts';
import type { GatewayConfig } from '../config.ts';
import { loggers } from '../observability/logger.ts';
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
  app.get('/health', (c) => c.json(HEALTH_OK));
  const ready = (status: ReadyResponse['status']): ReadyResponse => ({ status });
  const log = loggers.server();
  // Logged when the answer changes, not per probe: a load balancer asks every few seconds.
  let lastHealthy: boolean | undefined;
  app.get('/ready', async (c) => {
    if (sessions.shuttingDown) return c.json(ready('shutting_down'), 503);
    // A probe still out when shutdown starts is given up: it must not hold the exit (Deno's
    // server waits for every request) for up to REQUEST_TIMEOUT.
    const probe = await agent.probe(config.agentHealthPath, config.requestTimeoutMs, sessions.stopping);
    if (sessions.shuttingDown) return c.json(ready('shutting_down'), 503);
    const healthy = probe.healthy;
    if (healthy !== lastHealthy) {
      if (probe.healthy) log.info('ready: the agent answers its health path', { path: config.agentHealthPath });
      else log.warn('not ready: the agent did not answer its health path with 2xx', { path: config.agentHealthPath, timeout_s: config.requestTimeoutMs / 1000, reason: probe.reason });
      lastHealthy = healthy;
    }
    return healthy ? c.json(ready('ready')) : c.json(ready('agent_unavailable'), 503);
  });
  app.get('/metrics', async (c) => {
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  return app;
}
