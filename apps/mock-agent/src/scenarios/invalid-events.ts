import { z } from 'zod';
import { doneEvent, tokenEvent } from '../events.ts';
import { defineScenario, type ScenarioContext } from '../scenario.ts';

// Each writes a valid token, one bad `data:` line, then a `done`: a client that
// lets the bad event through also shows the `done` after it.
const badEventBetweenTokens = (ctx: ScenarioContext, data: string) =>
  ctx.stream(async (w) => {
    await w.event(tokenEvent('before'));
    await w.write(`data: ${data}\n\n`);
    await w.event(doneEvent('stop'));
  });

export const malformedJson = defineScenario({
  name: 'malformed_json',
  params: z.strictObject({}),
  run: (ctx) => badEventBetweenTokens(ctx, '{not json'),
});

export const nonObject = defineScenario({
  name: 'non_object',
  params: z.strictObject({
    value: z
      .unknown()
      .refine((v) => v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v)), 'value must be JSON that is not an object')
      .default([1, 2]),
  }),
  run: (ctx, p) => badEventBetweenTokens(ctx, JSON.stringify(p.value)),
});

export const noType = defineScenario({
  name: 'no_type',
  params: z.strictObject({}),
  run: (ctx) => badEventBetweenTokens(ctx, '{"content":"no type"}'),
});

export const wrongField = defineScenario({
  name: 'wrong_field',
  params: z.strictObject({}),
  run: (ctx) => badEventBetweenTokens(ctx, '{"type":"token","content":5}'),
});
