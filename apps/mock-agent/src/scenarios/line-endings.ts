import { encodeSseComment, encodeSseEvent } from '@agent-gateway/protocol';
import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario } from '../scenario.ts';

const EOL = { crlf: '\r\n', cr: '\r', lf: '\n' } as const;

/** The whole stream with CRLF, CR or LF line ends, the last one included (a CR then ends the stream). */
export const lineEndings = defineScenario({
  name: 'line_endings',
  params: z.strictObject({ eol: z.enum(['crlf', 'cr', 'lf']).default('crlf') }),
  run(ctx, p) {
    const lf =
      encodeSseComment() +
      encodeSseEvent(tokenEvent('one')) +
      encodeSseEvent(tokenEvent(' two')) +
      encodeSseEvent(tokenEvent(' three')) +
      encodeSseEvent(doneEvent('stop'));
    const text = lf.replaceAll('\n', EOL[p.eol]);
    return ctx.stream(async (w) => {
      await w.write(text);
    });
  },
});
