import { z } from 'zod';
import { respond } from '../agent/respond.ts';
import { splitIntoTokens } from '../agent/tokenize.ts';
import { doneEvent, toolCallEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';
import { emitTokens } from './emit.ts';

/** The built-in coding agent, used when a request names no scenario. */
export const defaultAgent = defineScenario({
  name: 'default',
  params: z.strictObject({}),
  run(ctx) {
    const reply = respond(ctx.request.message, ctx.toolCalls);
    const tokens = splitIntoTokens(reply.text);
    // A rough, deterministic count: four characters of the message per token.
    const usage = { input_tokens: Math.ceil(JSON.stringify(ctx.request.message).length / 4), output_tokens: tokens.length };
    return ctx.stream(async (w) => {
      await emitTokens(w, tokens, ctx.tokenDelayMs);
      const call = reply.toolCall;
      if (call) {
        await w.sleep(ctx.tokenDelayMs);
        await w.event(toolCallEvent(call.tool_call_id, call.name, call.arguments));
      }
      await w.event(doneEvent(call ? 'tool_calls' : 'stop', usage));
    });
  },
});
