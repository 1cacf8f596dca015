import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of their own (one per app, so tests do not share state). */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly openConnections = new Gauge({
    name: 'gateway_open_connections',
    help: 'WebSocket connections open now',
    registers: [this.registry],
  });
  readonly connectionsTotal = new Counter({
    name: 'gateway_connections_total',
    help: 'WebSocket connections accepted',
    registers: [this.registry],
  });
  readonly turnsTotal = new Counter({
    name: 'gateway_turns_total',
    help: 'Turns ended, by outcome (done, agent_error, cancelled, disconnected, error:<code>)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly timeToFirstEvent = new Histogram({
    name: 'gateway_time_to_first_event_seconds',
    help: 'From the turn leaving its queue (the request to the agent starting) to its first event',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly framesRelayed = new Counter({
    name: 'gateway_frames_relayed_total',
    help: 'Frames sent to IDE clients for turns',
    registers: [this.registry],
  });
  readonly bytesRelayed = new Counter({
    name: 'gateway_bytes_relayed_total',
    help: 'Bytes of frames sent to IDE clients for turns',
    registers: [this.registry],
  });
  readonly errorsTotal = new Counter({
    name: 'gateway_errors_total',
    help: 'Gateway errors sent to clients or refusing upgrades, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly activeTurns = new Gauge({
    name: 'gateway_active_turns',
    help: 'Turns queued or in flight now',
    registers: [this.registry],
  });
  readonly connectionsClosed = new Counter({
    name: 'gateway_connections_closed_total',
    help: 'WebSocket connections closed, by close code and by who closed them: the gateway (1001 shutdown, 1006 dropped, 1007 not UTF-8, 1008 slow consumer, 1009 frame too big, 4001 taken over) or the client (the code it sent; 1006 gone without one)',
    labelNames: ['code', 'by'] as const,
    registers: [this.registry],
  });

  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
