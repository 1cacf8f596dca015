import { z } from 'zod';

// Bodies of the gateway's plain HTTP endpoints (protocol.md §1).

export const HealthResponseSchema = z
  .looseObject({ status: z.literal('ok') })
  .meta({ id: 'HealthResponse', description: 'Liveness: the process answers. The agent is never called.' });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

/** The body `GET /health` always answers with. */
export const HEALTH_OK: HealthResponse = { status: 'ok' };

export const ReadyResponseSchema = z
  .looseObject({ status: z.enum(['ready', 'agent_unavailable', 'shutting_down']) })
  .meta({
    id: 'ReadyResponse',
    description: 'Readiness: `ready` (200), or why not (503): the agent did not answer its health path in time, or the gateway is shutting down.',
  });
export type ReadyResponse = z.infer<typeof ReadyResponseSchema>;

export const NotFoundResponseSchema = z
  .looseObject({ error: z.literal('not_found'), message: z.string() })
  .meta({ id: 'NotFoundResponse', description: 'A method and path the gateway does not serve (404).' });
export type NotFoundResponse = z.infer<typeof NotFoundResponseSchema>;
