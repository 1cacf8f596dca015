import { z } from 'zod';
import { doneEvent } from '../events.ts';
import { now } from '../recorder.ts';
import { defineScenario } from '../scenario.ts';

/**
 * `tick` events on a fixed schedule, each stamped with the epoch time it was
 * written: a latency benchmark compares that with the time it reached the IDE.
 */
export const ticks = defineScenario({
  name: 'ticks',
  params: z.strictObject({
    interval_ms: z.number().positive().default(20),
    duration_ms: z.number().min(0).default(4000),
  }),
  run(ctx, p) {
    const count = Math.floor(p.duration_ms / p.interval_ms);
    return ctx.stream(async (w) => {
      const start = now();
      for (let n = 0; n < count; n++) {
        // Scheduled from the start, not from the last tick, so delays do not add up.
        await w.sleep(start + n * p.interval_ms - now());
        await w.event({ type: 'tick', n, emitted_at: now() });
      }
      await w.event(doneEvent('stop'));
    });
  },
});
