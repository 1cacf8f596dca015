import { Hono } from 'hono';
import { createToolCallRegistry, type ToolCallRegistry } from './agent/tool-calls.ts';
import { invalidRequest, jsonResponse, unauthorized } from './http-errors.ts';
import { createRecorder, type Recorder } from './recorder.ts';
import { createScenarioContext } from './scenario-context.ts';
import { selectScenario } from './select-scenario.ts';
import { apiKeyProblem, parseBody, validateAgentRequest } from './validate-request.ts';

// Runtime-free on purpose: no node:* import, so a Deno entrypoint can serve the same app.

export interface MockAgentAppOptions {
  /** When set, `POST /agent/message/stream` requires this `x-internal-api-key` (checked before the body). */
  apiKey?: string;
  /** The default agent's pause between tokens; 15 ms by default, 0 allowed. */
  tokenDelayMs?: number;
  /** Where requests (and, fed by the server wrapper, connections) are recorded; a new one by default. */
  recorder?: Recorder;
  toolCalls?: ToolCallRegistry;
  /**
   * Destroys the connection a request came on (`env` is the runtime's
   * bindings: `c.env`). Only the runtime's server wrapper can reach the socket;
   * return false when it cannot. Used by `reset_before_headers` and
   * `cut_stream` with `mode: "destroy"`.
   */
  destroyConnection?: (env: unknown, how: 'reset' | 'close') => boolean;
}

export const AGENT_STREAM_PATH = '/agent/message/stream';

/** Promise resolved when `signal` aborts, after `onAbort` ran. */
const whenAborted = (signal: AbortSignal, onAbort: () => void): Promise<void> =>
  new Promise((resolve) => {
    const fire = () => {
      onAbort();
      resolve();
    };
    if (signal.aborted) fire();
    else signal.addEventListener('abort', fire, { once: true });
  });

/** The mock agent runtime: `POST /agent/message/stream`, `GET /health` and the `/_mock/*` introspection routes. */
export function createMockAgentApp(options: MockAgentAppOptions = {}): Hono {
  const recorder = options.recorder ?? createRecorder();
  const toolCalls = options.toolCalls ?? createToolCallRegistry();
  const tokenDelayMs = options.tokenDelayMs ?? 15;
  const app = new Hono();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.post(AGENT_STREAM_PATH, async (c) => {
    const body = parseBody(await c.req.text());
    const record = recorder.begin({
      method: c.req.method,
      path: c.req.path,
      headers: Object.fromEntries(c.req.raw.headers),
      body: body.json ? body.value : body.text,
    });
    // The request's signal, not hono's stream.onAbort: the latter does not fire on every path.
    const signal = c.req.raw.signal;
    const clientGone = whenAborted(signal, () => recorder.end(record, { aborted: true }));

    let streaming = () => false;
    const answer = async (): Promise<Response> => {
      const keyProblem = apiKeyProblem(c.req.header('x-internal-api-key'), options.apiKey);
      if (keyProblem) return unauthorized(keyProblem);
      const validated = validateAgentRequest(body, c.req.header('x-request-id'));
      if (!validated.ok) return invalidRequest(validated.issues);
      const selection = selectScenario(validated.request.message);
      if (!selection.ok) return invalidRequest(selection.issues);
      recorder.update(record, { scenario: selection.scenario.name });
      const scenario = createScenarioContext({
        request: validated.request,
        rawBody: body.text,
        signal,
        clientGone,
        tokenDelayMs,
        toolCalls,
        recorder,
        record,
        destroyConnection: (how) => options.destroyConnection?.(c.env, how) ?? false,
      });
      streaming = scenario.streaming;
      return selection.scenario.run(scenario.context, selection.params);
    };

    const response = await answer();
    // A stream's record ends with the stream; a record that already ended here
    // sent no response (connection destroyed, client gone).
    if (!streaming() && record.endedAt === null) {
      recorder.update(record, { status: response.status });
      recorder.end(record, { aborted: false });
    }
    return response;
  });

  app.get('/_mock/requests', (c) => c.json(recorder.requests));
  app.get('/_mock/connections', (c) => c.json(recorder.connections));
  app.post('/_mock/reset', (c) => {
    recorder.reset();
    return c.json({ status: 'ok' });
  });

  app.onError((error) => jsonResponse(500, { error: 'internal_error', message: error.message }));

  return app;
}
