import { z } from 'zod';
import { defineScenario } from '../scenario.ts';

/** The SSE fields a client must accept and ignore: `event:`, `id:`, `retry:`, and `data:` without its space. */
export const SSE_FIELDS_STREAM =
  'event: message\nid: 1\nretry: 1000\ndata: {"type":"token","content":"Hello"}\n\n' +
  'id: 2\nevent: token\ndata:{"type":"token","content":","}\n\n' +
  'id:\ndata: {"type":"token","content":" world"}\n\n' +
  'retry: 500\nevent: done\ndata: {"type":"done","finish_reason":"stop"}\n\n';

export const sseFields = defineScenario({
  name: 'sse_fields',
  params: z.strictObject({}),
  run(ctx) {
    return ctx.stream(async (w) => {
      await w.write(SSE_FIELDS_STREAM);
    });
  },
});
