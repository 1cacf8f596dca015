import { z } from 'zod';
import { defineScenario } from '../scenario.ts';
import { emitTokens, numberedTokens } from './emit.ts';

/** Some tokens, then the stream stops without a terminal event. */
export const cutStream = defineScenario({
  name: 'cut_stream',
  params: z.strictObject({
    tokens_before: z.number().int().min(0).default(3),
    /** `end`: the body ends cleanly; `destroy`: the connection is destroyed mid-body. */
    mode: z.enum(['end', 'destroy']).default('end'),
  }),
  run(ctx, p) {
    return ctx.stream(async (w) => {
      await emitTokens(w, numberedTokens(p.tokens_before));
      if (p.mode === 'destroy') w.destroy();
    });
  },
});
