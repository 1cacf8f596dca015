import { CONFIG_ENV_NAMES, ConfigError, parseConfig, type GatewayConfig } from './config.ts';
import { createGateway } from './gateway.ts';
import { configureLogging, loggers } from './observability/logger.ts';
import { createRedactor } from './observability/redact.ts';
import { denoRuntime, serveDeno } from './runtime/deno.ts';
import { listenFailure, runServer } from './server-lifecycle.ts';

// Only the gateway's own names: `--allow-env` can list them (`Deno.env.toObject()` needs them all).
// A value that is not UTF-8 makes Deno throw an error that quotes it: a secret must not be printed.
const env: Record<string, string | undefined> = {};
const unreadable: { variable: string; message: string }[] = [];
for (const name of CONFIG_ENV_NAMES) {
  try {
    env[name] = Deno.env.get(name);
  } catch (error) {
    const message = error instanceof Deno.errors.NotCapable ? 'cannot be read: run deno with --allow-env (README, Permissions)' : 'is not valid UTF-8';
    unreadable.push({ variable: name, message });
  }
}

let config: GatewayConfig;
try {
  if (unreadable.length > 0) throw new ConfigError(unreadable);
  config = parseConfig(env);
} catch (error) {
  console.error(`gateway: ${error instanceof ConfigError ? error.message : String(error)}`);
  Deno.exit(2);
}

const encoder = new TextEncoder();
const writeStdout = (line: string) => {
  const bytes = encoder.encode(line);
  for (let written = 0; written < bytes.length; ) written += Deno.stdout.writeSync(bytes.subarray(written));
};

configureLogging(config.logLevel, writeStdout, createRedactor(config));
const gateway = createGateway(config, denoRuntime({ maxMessageBytes: config.maxMessageBytes, wsPingIntervalMs: config.wsPingIntervalMs }));
let server;
try {
  server = await serveDeno(gateway.app, { host: config.host, port: config.port });
} catch (error) {
  console.error(`gateway: ${listenFailure(error, config.host, config.port)}`);
  Deno.exit(1);
}

runServer({
  config,
  gateway,
  url: server.url,
  runtime: 'deno',
  closeListener: () => server.close(),
  onSignal: (handler) => {
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    // A dropped terminal or SSH session: drain, as for SIGTERM, not die mid-turn.
    Deno.addSignalListener('SIGHUP', () => handler('SIGHUP'));
  },
  exit: (code) => Deno.exit(code),
  log: loggers.server(),
});
