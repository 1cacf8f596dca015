import { collectDefaultMetrics } from 'prom-client';
import { ConfigError, parseConfig, unknownConfigNames } from './config.ts';
import { createGateway } from './gateway.ts';
import { configureLogging, loggers } from './observability/logger.ts';
import { createRedactor } from './observability/redact.ts';
import { nodeRuntime, serveNode } from './runtime/node.ts';
import { listenFailure, runServer } from './server-lifecycle.ts';

let config;
try {
  config = parseConfig(process.env);
} catch (error) {
  process.stderr.write(`gateway: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(2);
}

// Whatever reads the log may go away (a closed pipe): the gateway goes on serving, as on Deno.
process.stdout.on('error', () => undefined);
configureLogging(config.logLevel, (line) => process.stdout.write(line), createRedactor(config));
const gateway = createGateway(config, nodeRuntime(config));
// The process's own figures beside the gateway's (memory, CPU, event-loop lag, file descriptors): Node only.
collectDefaultMetrics({ register: gateway.metrics.registry });
let server;
try {
  server = await serveNode(gateway.app, { host: config.host, port: config.port, maxMessageBytes: config.maxMessageBytes, metrics: gateway.metrics });
} catch (error) {
  process.stderr.write(`gateway: ${listenFailure(error, config.host, config.port)}\n`);
  process.exit(1);
}

runServer({
  config,
  gateway,
  url: server.url,
  runtime: 'node',
  closeListener: () => server.close(),
  onSignal: (handler) => {
    process.on('SIGTERM', () => handler('SIGTERM'));
    process.on('SIGINT', () => handler('SIGINT'));
    // A dropped terminal or SSH session: drain, as for SIGTERM, not die mid-turn.
    process.on('SIGHUP', () => handler('SIGHUP'));
  },
  exit: (code) => process.exit(code),
  log: loggers.server(),
  // Node can list the environment; Deno, with `--allow-env` narrowed to the gateway's names, cannot.
  unknownVariables: unknownConfigNames(Object.keys(process.env)),
});
