import { z } from 'zod';
import { defineScenario } from '../scenario.ts';
import { emitTokens, numberedTokens } from './emit.ts';

/** Headers (and maybe tokens), then silence until the client goes away. */
export const hangAfterHeaders = defineScenario({
  name: 'hang_after_headers',
  params: z.strictObject({ tokens_before: z.number().int().min(0).default(0) }),
  run(ctx, p) {
    return ctx.stream(async (w) => {
      await emitTokens(w, numberedTokens(p.tokens_before));
      await w.hang();
    });
  },
});

/** No response at all until the client goes away. */
export const hangBeforeHeaders = defineScenario({
  name: 'hang_before_headers',
  params: z.strictObject({}),
  async run(ctx) {
    await ctx.clientGone;
    // Never written: the client is gone.
    return new Response(null, { status: 500 });
  },
});
