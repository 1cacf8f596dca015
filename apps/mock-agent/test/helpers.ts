import { rawPost } from './raw-http.ts';

export const STREAM_PATH = '/agent/message/stream';

/** A valid request body; `metadata.scenario` set when a scenario is given. */
export function userMessage(content: string, scenario?: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    session_id: 's1',
    request_id: 'r-1',
    message: {
      type: 'user_message',
      content,
      request_id: 'r-1',
      ...(scenario === undefined ? {} : { metadata: { scenario } }),
      ...extra,
    },
  });
}

export function toolResult(toolCallId: string, result: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    session_id: 's1',
    request_id: 'r-2',
    message: { type: 'tool_result', tool_call_id: toolCallId, result, request_id: 'r-2', ...extra },
  });
}

/** Runs one scenario over a raw socket. */
export const runScenario = (url: string, scenario: unknown) => rawPost(url, STREAM_PATH, userMessage('hi', scenario));

/** `data: <json>\n\n` for each event: what a well-formed LF stream of these events looks like. */
export const sse = (...events: object[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');


/** Splits an LF-only stream into its events' data (enough for the default agent's own output). */
export function parseLfEvents(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .flatMap((block) => {
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''));
      return data.length ? [JSON.parse(data.join('\n'))] : [];
    });
}
