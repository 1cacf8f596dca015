import { request, type Agent } from 'node:http';
import { createParser } from 'eventsource-parser';
import { epochNow } from './clock.ts';
import { agentRequestBody, type Scenario } from './scenario.ts';
import { Failures, TurnCheck, type LatencySink } from './turn-check.ts';

/**
 * DIRECT: what an IDE would get with no gateway at all. POSTs the body the
 * gateway would send, over a keep-alive `http.Agent`, and parses the SSE with
 * eventsource-parser: the physical limit of one hop.
 */
export class DirectSession {
  readonly failures = new Failures();
  readonly #url: URL;

  constructor(
    agentUrl: string,
    readonly sessionId: string,
    private readonly agent: Agent,
  ) {
    this.#url = new URL('/agent/message/stream', agentUrl);
  }

  /** One turn; resolves once the response has ended (or the time is up). */
  turn(requestId: string, scenario: Scenario, timeoutMs: number, latencies?: LatencySink): Promise<{ check: TurnCheck; sentAt: number }> {
    const check = new TurnCheck(requestId, scenario, latencies);
    const body = agentRequestBody(this.sessionId, requestId, scenario);
    return new Promise((resolve) => {
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        check.finish();
        this.failures.merge(check.failures);
        resolve({ check, sentAt });
      };
      const fail = (message: string) => {
        check.failures.add(`${requestId}: ${message}`);
        done();
      };
      const sentAt = epochNow();
      const req = request(
        {
          agent: this.agent,
          method: 'POST',
          hostname: this.#url.hostname,
          port: this.#url.port,
          path: this.#url.pathname,
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            'x-request-id': requestId,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
            res.resume();
            return fail(`agent answered ${res.statusCode} ${String(res.headers['content-type'])}`);
          }
          let receivedAt = 0;
          const parser = createParser({
            onEvent: (message) => {
              let frame: Record<string, unknown>;
              try {
                frame = JSON.parse(message.data) as Record<string, unknown>;
              } catch {
                return check.failures.add(`${requestId}: event data that is not JSON`);
              }
              check.event(frame, receivedAt);
            },
          });
          res.setEncoding('utf8');
          res.on('data', (text: string) => {
            receivedAt = epochNow();
            parser.feed(text);
          });
          res.on('end', done);
          res.on('error', (error) => fail(`response broke: ${error.message}`));
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        fail(`response not ended within ${timeoutMs} ms`);
      }, timeoutMs);
      req.on('error', (error) => fail(`request failed: ${error.message}`));
      req.end(body);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
