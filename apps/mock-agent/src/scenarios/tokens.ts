import { UsageSchema } from '@agent-gateway/protocol';
import { z } from 'zod';
import { doneEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';
import { emitTokens, numberedTokens } from './emit.ts';

export const tokens = defineScenario({
  name: 'tokens',
  params: z.strictObject({
    tokens: z.array(z.string()).optional(),
    count: z.number().int().min(0).max(1_000_000).default(5),
    size: z.number().int().min(1).max(1_000_000).default(4),
    delay_ms: z.number().int().min(0).optional(),
    finish_reason: z.string().default('stop'),
    usage: UsageSchema.optional(),
  }),
  run(ctx, p) {
    const contents = p.tokens ?? numberedTokens(p.count, p.size);
    return ctx.stream(async (w) => {
      await emitTokens(w, contents, p.delay_ms ?? ctx.tokenDelayMs);
      await w.event(doneEvent(p.finish_reason, p.usage));
    });
  },
});
