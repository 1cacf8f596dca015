import type { GatewayConfig } from './config.ts';
import type { Gateway } from './gateway.ts';
import { loggers, type Logger } from './observability/logger.ts';

export interface LifecycleOptions {
  config: GatewayConfig;
  gateway: Gateway;
  url: string;
  runtime: string;
  closeListener(): Promise<void>;
  onSignal(handler: (signal: string) => void): void;
  exit(code: number): void;
  log: Logger;
}

/**
 * Why the server could not listen, naming the variables to change: a port in
 * use (Node `EADDRINUSE`, Deno `AddrInUse`), a host that is not this
 * machine's or does not resolve.
 */
export function listenFailure(error: unknown, host: string, port: number): string {
  const what = (error as { code?: unknown })?.code ?? (error as { name?: unknown })?.name;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (what === 'EADDRINUSE' || what === 'AddrInUse') {
    return `cannot listen on ${where}: the port is in use; set GATEWAY__PORT to a free one (0: any free port)`;
  }
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `cannot listen on ${where} (GATEWAY__HOST / GATEWAY__PORT): ${reason}`;
}

/**
 * After listening: graceful shutdown on SIGTERM/SIGINT (§8), exiting 0 once
 * every socket is closed, then the `listening` line (protocol.md §10) and start-up warnings.
 */
export function runServer(opts: LifecycleOptions): void {
  const { config, gateway, log } = opts;
  // Signals are handled before the line goes out: a script may send one as soon as it reads it.
  let stopping = false;
  opts.onSignal((signal) => {
    if (stopping) return;
    stopping = true;
    log.info('signal received: draining', { signal, grace_s: config.shutdownGraceMs / 1000 });
    gateway.sessions
      .shutdown(config.shutdownGraceMs)
      .then(() => opts.closeListener())
      .then(
        () => {
          log.info('stopped');
          opts.exit(0);
        },
        (error: unknown) => {
          log.error('shutdown failed', { error });
          opts.exit(1);
        },
      );
  });
  loggers.lifecycle().info('listening', { url: opts.url, runtime: opts.runtime, agent_url: config.agentUrl });
  if (config.clientJwtSecret === undefined && config.allowedOrigins === undefined) {
    log.warn('client authentication is off: anyone who can reach this port can open any session (set GATEWAY__CLIENT_JWT_SECRET and/or GATEWAY__ALLOWED_ORIGINS)');
  }
}
