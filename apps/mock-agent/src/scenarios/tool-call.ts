import { z } from 'zod';
import { doneEvent, toolCallEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

export const toolCall = defineScenario({
  name: 'tool_call',
  params: z.strictObject({
    tool_call_id: z.string().optional(),
    /** The tool's name (`name` itself is the scenario's). */
    tool_name: z.string().default('read_file'),
    arguments: z.record(z.string(), z.unknown()).default({ path: 'package.json' }),
  }),
  run(ctx, p) {
    const call = { tool_call_id: p.tool_call_id ?? ctx.toolCalls.nextId(), name: p.tool_name, arguments: p.arguments };
    // Remembered so the default agent can answer the tool_result by name and path.
    ctx.toolCalls.remember(call);
    return ctx.stream(async (w) => {
      await w.event(toolCallEvent(call.tool_call_id, call.name, call.arguments));
      await w.event(doneEvent('tool_calls'));
    });
  },
});
