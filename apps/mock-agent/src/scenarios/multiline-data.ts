import { encodeSseEvent } from '@agent-gateway/protocol';
import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

/** Events whose JSON is pretty-printed, one `data:` line per line: the receiver joins them with `\n`. */
export const multilineData = defineScenario({
  name: 'multiline_data',
  params: z.strictObject({}),
  run(ctx) {
    const events = [tokenEvent('multi-line'), tokenEvent(' data'), doneEvent('stop')];
    return ctx.stream(async (w) => {
      for (const event of events) await w.write(encodeSseEvent(JSON.stringify(event, null, 1)));
    });
  },
});
