import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

/** An event type the protocol does not name, between tokens: relayed unchanged. */
export const unknownEvent = defineScenario({
  name: 'unknown_event',
  params: z.strictObject({}),
  run(ctx) {
    return ctx.stream(async (w) => {
      await w.event(tokenEvent('before '));
      await w.event({ type: 'progress', percent: 50 });
      await w.event(tokenEvent('after'));
      await w.event(doneEvent('stop'));
    });
  },
});
