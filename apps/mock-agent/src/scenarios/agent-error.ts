import { z } from 'zod';
import { errorEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';
import { emitTokens, numberedTokens } from './emit.ts';

export const agentError = defineScenario({
  name: 'agent_error',
  params: z.strictObject({
    code: z.string().default('mock_error'),
    message: z.string().default('the mock agent failed on purpose'),
    retryable: z.boolean().optional(),
    tokens_before: z.number().int().min(0).default(0),
    /** Sent as the event's `source` (an agent that claims to be the gateway, say). */
    source: z.string().optional(),
  }),
  run(ctx, p) {
    return ctx.stream(async (w) => {
      await emitTokens(w, numberedTokens(p.tokens_before));
      const event = errorEvent(p.code, p.message, p.retryable);
      await w.event(p.source === undefined ? event : { ...event, source: p.source });
    });
  },
});
