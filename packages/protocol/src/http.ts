import { z } from 'zod';

// Bodies of the gateway's plain HTTP endpoints (protocol.md §1).

export const HealthResponseSchema = z
  .looseObject({ status: z.literal('ok') })
  .meta({ id: 'HealthResponse', description: 'Liveness: the process answers. The agent is never called.' });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

/** The body `GET /health` always answers with. */
export const HEALTH_OK: HealthResponse = { status: 'ok' };
