import { z } from 'zod';
import { defineScenario } from '../scenario.ts';

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** Answers with any HTTP status and a JSON body instead of a stream. */
export const status = defineScenario({
  name: 'status',
  params: z.strictObject({
    status: z.number().int().min(200).max(599).default(500),
    /** Sent as the raw `Retry-After` header value (seconds or an HTTP date, or junk on purpose). */
    retry_after: z.string().optional(),
    /** The JSON body; by default `{"error":"mock_status","message":"mock agent answered <status>"}`. */
    body: z.unknown().optional(),
    /** `Location` of a 3xx; by default `/_mock/redirect-target`. */
    location: z.string().optional(),
  }),
  run(_ctx, p) {
    const headers = new Headers();
    if (p.retry_after !== undefined) headers.set('retry-after', p.retry_after);
    if (p.status >= 300 && p.status < 400) headers.set('location', p.location ?? '/_mock/redirect-target');
    if (NULL_BODY_STATUSES.has(p.status)) return new Response(null, { status: p.status, headers });
    headers.set('content-type', 'application/json');
    const body = p.body === undefined ? { error: 'mock_status', message: `mock agent answered ${p.status}` } : p.body;
    return new Response(JSON.stringify(body), { status: p.status, headers });
  },
});
