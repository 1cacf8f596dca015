import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

/** One token whose content is the request body exactly as received, then `done`. */
export const echo = defineScenario({
  name: 'echo',
  params: z.strictObject({}),
  run(ctx) {
    return ctx.stream(async (w) => {
      await w.event(tokenEvent(ctx.rawBody));
      await w.event(doneEvent('stop'));
    });
  },
});
