import { encodeSseEvent } from '@agent-gateway/protocol';
import { z } from 'zod';
import { splitIntoTokens } from '../agent/tokenize.ts';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

export const DEFAULT_BYTE_CHUNKS_TEXT = 'héllo 日本 👋 wörld';

/** The whole stream one byte per chunk, so multi-byte UTF-8 characters arrive split. */
export const byteChunks = defineScenario({
  name: 'byte_chunks',
  params: z.strictObject({
    text: z.string().default(DEFAULT_BYTE_CHUNKS_TEXT),
    /** Pause between bytes, so each one leaves in its own TCP segment. */
    delay_ms: z.number().int().min(0).default(1),
  }),
  run(ctx, p) {
    const text = splitIntoTokens(p.text).map((t) => encodeSseEvent(tokenEvent(t))).join('') + encodeSseEvent(doneEvent('stop'));
    const bytes = new TextEncoder().encode(text);
    return ctx.stream(async (w) => {
      for (let i = 0; i < bytes.length; i++) {
        if (i > 0) await w.sleep(p.delay_ms);
        await w.write(bytes.slice(i, i + 1));
      }
    });
  },
});
