import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { AgentRequestSchema } from '../agent.ts';
import { RequestIdSchema } from '../common.ts';
import { AGENT_SERVER } from './document-info.ts';

const AGENT_EVENT_REF = { $ref: '#/components/schemas/AgentEvent' };

// OpenAPI 3.2 models each Server-Sent Event as an object of its fields; the
// JSON in `data` is described with `contentMediaType` / `contentSchema`
// (OAS 3.2.0, "Special Considerations for Server-Sent Events").
const SSE_ITEM_SCHEMA = {
  type: 'object' as const,
  required: ['data'],
  properties: {
    data: { type: 'string' as const, contentMediaType: 'application/json', contentSchema: AGENT_EVENT_REF },
    event: { type: 'string' as const, description: 'Allowed and ignored.' },
    id: { type: 'string' as const, description: 'Allowed and ignored.' },
    retry: { type: 'integer' as const, minimum: 0, description: 'Allowed and ignored.' },
  },
};

export function registerAgentPath(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/agent/message/stream',
    tags: ['agent'],
    operationId: 'streamAgentMessage',
    summary: 'Run one turn on the agent runtime (called by the gateway)',
    description:
      'Served by the agent runtime, not the gateway. One request per turn; the gateway does not follow redirects ' +
      'and keeps connections alive. The response ends at the first terminal event (`done` or `error`); a known ' +
      'event type with a wrong field, or `data` that is not a JSON object with a string `type`, is a protocol error.',
    servers: [AGENT_SERVER],
    security: [{ internalApiKey: [] }, {}],
    request: {
      headers: z.object({
        'x-request-id': RequestIdSchema,
        'x-internal-api-key': z
          .string()
          .optional()
          .meta({ description: '`GATEWAY__INTERNAL_API_KEY`, sent when it is set. Never logged.' }),
      }),
      body: { required: true, content: { 'application/json': { schema: AgentRequestSchema } } },
    },
    responses: {
      200: {
        description: 'A Server-Sent Event stream; each event\'s `data` is one `AgentEvent`.',
        content: { 'text/event-stream': { itemSchema: SSE_ITEM_SCHEMA } },
      },
      401: { description: 'Bad internal API key: the gateway reports `agent_auth_failed`.' },
      403: { description: 'Forbidden: the gateway reports `agent_auth_failed`.' },
      422: { description: 'Invalid request: the gateway reports `agent_rejected` (as for any other 4xx or a 3xx).' },
      429: {
        description: 'Rate limited: the gateway reports `agent_rate_limited` with `retry_after_ms` from `Retry-After`.',
        headers: { 'Retry-After': { description: 'Seconds, or an HTTP date.', schema: { type: 'string' } } },
      },
      '5XX': { description: 'Server error: the gateway reports `agent_unavailable`.' },
    },
  });
}
