import { createMockAgentApp } from './app.ts';
import { ConfigError, listenFailure, MockAgentEnvSchema, parseConfig, type MockAgentConfig } from './config.ts';
import { StreamCutError } from './event-stream.ts';
import { jsonResponse } from './http-errors.ts';
import { createRecorder } from './recorder.ts';

// Only the mock agent's own names: `--allow-env` can list them. A value that is not UTF-8
// makes Deno throw an error that quotes it (the API key, say): it is named, not printed.
const env: Record<string, string | undefined> = {};
const notUtf8: string[] = [];
for (const name of Object.keys(MockAgentEnvSchema.shape)) {
  try {
    env[name] = Deno.env.get(name);
  } catch {
    notUtf8.push(name);
  }
}

let config: MockAgentConfig;
try {
  if (notUtf8.length > 0) throw new ConfigError(`invalid configuration: ${notUtf8.map((name) => `${name} is not valid UTF-8`).join('; ')}`);
  config = parseConfig(env);
} catch (error) {
  console.error((error as Error).message);
  Deno.exit(1);
}

// No `destroyConnection`: Deno.serve does not hand out the socket, so `reset_before_headers`
// answers 501 and `cut_stream` `destroy` errors the body stream; no connection counts either.
const app = createMockAgentApp({
  recorder: createRecorder(),
  tokenDelayMs: config.tokenDelayMs,
  ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }),
});

const stop = new AbortController();
let server: Deno.HttpServer | undefined;

// Signals are handled before the `listening` line goes out: a script may send one as soon as it reads it.
// Aborting the server's signal closes open streams too (hang, slow), as the Node server's close does.
const shutdown = () => {
  stop.abort();
  if (server === undefined) Deno.exit(0);
  server.finished.then(
    () => Deno.exit(0),
    (error: unknown) => {
      console.error(String(error));
      Deno.exit(1);
    },
  );
};
Deno.addSignalListener('SIGTERM', shutdown);
Deno.addSignalListener('SIGINT', shutdown);

try {
  server = Deno.serve(
    {
      hostname: config.host,
      port: config.port,
      signal: stop.signal,
      // A body errored on purpose (`cut_stream` `destroy`) is the scenario, not a failure to report.
      onError: (error) => {
        if (!(error instanceof StreamCutError)) console.error(error);
        return jsonResponse(500, { error: 'internal_error', message: 'internal error' });
      },
      onListen: (addr) => {
        const port = (addr as Deno.NetAddr).port;
        const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
        // Tests and scripts wait for this line (protocol.md §10); it never contains the API key.
        console.log(
          JSON.stringify({
            level: 'info',
            time: new Date().toISOString(),
            msg: 'listening',
            url,
            host: config.host,
            port,
            api_key_required: config.apiKey !== undefined,
          }),
        );
      },
    },
    (request, info) => app.fetch(request, info),
  );
} catch (error) {
  console.error(`mock-agent: ${listenFailure(error, config.host, config.port)}`);
  Deno.exit(1);
}
