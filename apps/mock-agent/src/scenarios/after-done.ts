import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

/** More events after the terminal `done`, then a clean end. */
export const dataAfterDone = defineScenario({
  name: 'data_after_done',
  params: z.strictObject({}),
  run(ctx) {
    return ctx.stream(async (w) => {
      await w.event(tokenEvent('ok'));
      await w.event(doneEvent('stop'));
      await w.event(tokenEvent(' after'));
      await w.event(tokenEvent(' done'));
    });
  },
});

/** A `done`, then a body that never ends (until the client goes away). */
export const neverEndAfterDone = defineScenario({
  name: 'never_end_after_done',
  params: z.strictObject({
    /** `0`: silence; otherwise a `: keep-alive` comment every so many ms. */
    keepalive_ms: z.number().int().min(0).default(0),
  }),
  run(ctx, p) {
    return ctx.stream(async (w) => {
      await w.event(tokenEvent('ok'));
      await w.event(doneEvent('stop'));
      if (p.keepalive_ms === 0) await w.hang();
      for (;;) {
        await w.sleep(p.keepalive_ms);
        await w.comment();
      }
    });
  },
});
