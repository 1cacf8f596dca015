import { z } from 'zod';
import { defineScenario } from '../scenario.ts';

/** Destroys the connection (TCP RST where possible) without sending a byte of the response. */
export const resetBeforeHeaders = defineScenario({
  name: 'reset_before_headers',
  params: z.strictObject({}),
  run(ctx) {
    if (!ctx.destroyConnection('reset')) {
      const body = { error: 'not_supported', message: 'this runtime gave the mock agent no access to its sockets' };
      return new Response(JSON.stringify(body), { status: 501, headers: { 'content-type': 'application/json' } });
    }
    // Nothing reaches the client: the socket is gone.
    return new Response(null, { status: 500 });
  },
});
