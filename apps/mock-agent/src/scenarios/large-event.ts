import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

const EMPTY_TOKEN_BYTES = JSON.stringify(tokenEvent('')).length;

/** One `token` event whose data (its JSON) is `bytes` bytes long, then `done`. */
export const largeEvent = defineScenario({
  name: 'large_event',
  params: z.strictObject({
    bytes: z.number().int().min(EMPTY_TOKEN_BYTES).max(64 * 1024 * 1024).default(1024 * 1024),
  }),
  run(ctx, p) {
    const content = 'x'.repeat(p.bytes - EMPTY_TOKEN_BYTES);
    return ctx.stream(async (w) => {
      await w.event(tokenEvent(content));
      await w.event(doneEvent('stop'));
    });
  },
});
