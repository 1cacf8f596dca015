import { z } from 'zod';
import { defineScenario } from '../scenario.ts';

/** A 200 that is not an event stream, with a body that would pass for a terminal event. */
export const wrongContentType = defineScenario({
  name: 'wrong_content_type',
  params: z.strictObject({}),
  run() {
    return new Response('{"type":"done","finish_reason":"stop"}', {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  },
});
