import { describe, expectTypeOf, it } from 'vitest';
import type { AgentEvent, DoneEvent, FinishReason, KnownAgentEvent, ToolCallEvent, Usage } from './agent.ts';

describe('agent event types', () => {
  it('keep `type` and the named fields of DoneEvent', () => {
    expectTypeOf<DoneEvent['type']>().toEqualTypeOf<'done'>();
    expectTypeOf<DoneEvent['finish_reason']>().toEqualTypeOf<FinishReason>();
    expectTypeOf<DoneEvent['usage']>().toEqualTypeOf<Usage | undefined>();
  });

  it('give KnownAgentEvent exactly the four known types', () => {
    expectTypeOf<KnownAgentEvent['type']>().toEqualTypeOf<'token' | 'tool_call' | 'done' | 'error'>();
    expectTypeOf<ToolCallEvent['arguments']>().toEqualTypeOf<Record<string, unknown>>();
  });

  it('let AgentEvent hold any other type', () => {
    expectTypeOf<{ type: 'thinking'; text: string }>().toExtend<AgentEvent>();
  });
});
