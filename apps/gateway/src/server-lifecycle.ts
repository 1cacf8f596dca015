import type { GatewayConfig } from './config.ts';
import type { Gateway } from './gateway.ts';
import { loggers, type Logger } from './observability/logger.ts';
import { SHORT_SECRET_CHARS } from './observability/redact.ts';

/** RFC 7518 §3.2: an HS256 key of at least the hash's size. */
const HS256_MIN_SECRET_BYTES = 32;

export interface LifecycleOptions {
  config: GatewayConfig;
  gateway: Gateway;
  url: string;
  runtime: string;
  closeListener(): Promise<void>;
  onSignal(handler: (signal: string) => void): void;
  exit(code: number): void;
  log: Logger;
  /** Variables that look meant for the gateway but are not its own (config.ts `unknownConfigNames`): warned of at start. */
  unknownVariables?: { name: string; meant?: string }[];
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
 * After listening: graceful shutdown on SIGTERM/SIGINT/SIGHUP (§8), exiting 0 once
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
  const clientAuth = [...(config.clientJwtSecret !== undefined ? ['jwt'] : []), ...(config.allowedOrigins !== undefined ? ['origins'] : [])];
  loggers.lifecycle().info('listening', {
    url: opts.url,
    runtime: opts.runtime,
    agent_url: config.agentUrl,
    client_auth: clientAuth,
    internal_api_key: config.internalApiKey === undefined ? 'unset' : 'set',
  });
  // What this deployment enforces, secrets left out: an operator checks it here, not in the environment.
  loggers.lifecycle().info('configuration', {
    max_connections: config.maxConnections,
    max_message_bytes: config.maxMessageBytes,
    max_queued_messages: config.maxQueuedMessages,
    max_event_bytes: config.maxEventBytes,
    max_buffered_bytes: config.maxBufferedBytes,
    agent_stream_timeout_s: config.agentStreamTimeoutMs / 1000,
    request_timeout_s: config.requestTimeoutMs / 1000,
    slow_client_timeout_s: config.slowClientTimeoutMs / 1000,
    ws_ping_interval_s: config.wsPingIntervalMs / 1000,
    shutdown_grace_s: config.shutdownGraceMs / 1000,
    token_buffer_flush_ms: config.tokenBufferFlushMs,
    token_buffer_max_chars: config.tokenBufferMaxChars,
    log_level: config.logLevel,
  });
  // Start-up warnings go out whatever GATEWAY__LOG_LEVEL says, as the lines above: an open gateway
  // or a weak secret is a fact of this deployment, not noise (§10: "a warning is logged at start").
  const startup = loggers.lifecycle();
  for (const { name, meant } of opts.unknownVariables ?? []) {
    startup.warn(`${name} is not a variable of the gateway and is ignored${meant === undefined ? '' : `: did you mean ${meant}?`}`, { variable: name, meant });
  }
  if (clientAuth.length === 0) {
    startup.warn('client authentication is off: anyone who can reach this port can open any session (set GATEWAY__CLIENT_JWT_SECRET and/or GATEWAY__ALLOWED_ORIGINS)');
  } else if (config.clientJwtSecret === undefined) {
    startup.warn('client tokens are off: GATEWAY__ALLOWED_ORIGINS turns away only browsers of other origins; a client that sends no Origin (any program but a browser) can open any session (set GATEWAY__CLIENT_JWT_SECRET)');
  }
  if (config.clientJwtSecret !== undefined && new TextEncoder().encode(config.clientJwtSecret).length < HS256_MIN_SECRET_BYTES) {
    startup.warn(`GATEWAY__CLIENT_JWT_SECRET is shorter than ${HS256_MIN_SECRET_BYTES} bytes, the least HS256 asks for (RFC 7518 §3.2): a short secret can be guessed, and tokens forged; use a long random one`);
  }
  if (config.internalApiKey !== undefined && config.internalApiKey.length < SHORT_SECRET_CHARS) {
    startup.warn(`GATEWAY__INTERNAL_API_KEY is shorter than ${SHORT_SECRET_CHARS} characters: it is taken out of the text of every frame and log line that contains it, so a short key also rewrites ordinary text, and property names are left as they are (it could be part of the protocol's own); use a long random one`);
  }
}
