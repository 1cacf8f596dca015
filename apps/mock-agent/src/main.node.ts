import { listenFailure, parseConfig, type MockAgentConfig } from './config.ts';
import { startMockAgent } from './server.node.ts';

let config: MockAgentConfig;
try {
  config = parseConfig(process.env);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

let server: Awaited<ReturnType<typeof startMockAgent>>;
try {
  server = await startMockAgent({
    host: config.host,
    port: config.port,
    tokenDelayMs: config.tokenDelayMs,
    ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
  });
} catch (error) {
  process.stderr.write(`mock-agent: ${listenFailure(error, config.host, config.port)}\n`);
  process.exit(1);
}

// Signals are handled before the line goes out: a script may send one as soon as it reads it.
const shutdown = () => {
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

// Tests and scripts wait for this line (protocol.md §10); it never contains the API key.
process.stdout.write(
  `${JSON.stringify({
    level: 'info',
    time: new Date().toISOString(),
    msg: 'listening',
    url: server.url,
    host: server.host,
    port: server.port,
    api_key_required: config.apiKey !== undefined,
  })}\n`,
);
