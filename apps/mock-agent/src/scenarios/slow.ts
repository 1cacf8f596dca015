import { z } from 'zod';
import { doneEvent, tokenEvent, tokenText } from '../events.ts';
import { defineScenario } from '../scenario.ts';

/** A long stream with keep-alive comments between tokens: something for a test to cancel. */
export const slow = defineScenario({
  name: 'slow',
  params: z.strictObject({
    count: z.number().int().min(0).default(1000),
    delay_ms: z.number().int().min(0).default(100),
    keepalive_ms: z.number().int().min(0).default(25),
  }),
  run(ctx, p) {
    return ctx.stream(async (w) => {
      for (let i = 0; i < p.count; i++) {
        if (i > 0) {
          // Comments at keepalive_ms, 2·keepalive_ms, … strictly before the next token.
          let waited = 0;
          while (p.keepalive_ms > 0 && waited + p.keepalive_ms < p.delay_ms) {
            await w.sleep(p.keepalive_ms);
            waited += p.keepalive_ms;
            await w.comment();
          }
          await w.sleep(p.delay_ms - waited);
        }
        await w.event(tokenEvent(tokenText(i)));
      }
      await w.event(doneEvent('stop'));
    });
  },
});
