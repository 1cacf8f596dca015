import { INTERNAL_KEY } from './harness.ts';

/**
 * Reference reading of a scenario: POSTs straight to the agent and parses the
 * SSE body with the standard's line rules (WHATWG HTML §9.2.6), independent of
 * the gateway's parser. Returns the events' JSON objects.
 */
export async function directEvents(agentUrl: string, message: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${agentUrl}/agent/message/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'direct', 'x-internal-api-key': INTERNAL_KEY },
    body: JSON.stringify({ session_id: 'direct', request_id: 'direct', message: { ...message, request_id: 'direct' } }),
  });
  const text = await res.text();
  const events: Record<string, unknown>[] = [];
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push(JSON.parse(data.join('\n')) as Record<string, unknown>);
      data = [];
      if (events.at(-1)?.type === 'done') break;
    } else if (line.startsWith('data:')) {
      data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
  }
  return events;
}

export const tokenText = (events: Record<string, unknown>[]) =>
  events.filter((e) => e.type === 'token').map((e) => e.content as string).join('');
