import type { AgentRequest } from '@agent-gateway/protocol';
import type { ToolCallRegistry } from './agent/tool-calls.ts';
import { createEventStreamResponse } from './event-stream.ts';
import type { Recorder, RequestRecord } from './recorder.ts';
import type { ScenarioContext } from './scenario.ts';

export interface ScenarioContextInit {
  request: AgentRequest;
  rawBody: string;
  signal: AbortSignal;
  clientGone: Promise<void>;
  tokenDelayMs: number;
  toolCalls: ToolCallRegistry;
  recorder: Recorder;
  record: RequestRecord;
  /** Reaches the runtime's socket; false when there is no way to. */
  destroyConnection: (how: 'reset' | 'close') => boolean;
}

/**
 * The context a scenario answers with. The request's record ends when a
 * stream ends or the connection is destroyed; `streaming()` tells the app
 * whether the response is a stream (whose end comes later).
 */
export function createScenarioContext(init: ScenarioContextInit): { context: ScenarioContext; streaming(): boolean } {
  const { recorder, record, signal } = init;
  let streaming = false;
  const context: ScenarioContext = {
    request: init.request,
    rawBody: init.rawBody,
    signal,
    clientGone: init.clientGone,
    tokenDelayMs: init.tokenDelayMs,
    toolCalls: init.toolCalls,
    stream(produce, options) {
      streaming = true;
      const response = createEventStreamResponse(produce, {
        signal,
        ...options,
        onEnd: (outcome) => recorder.end(record, outcome),
        destroyConnection: () => init.destroyConnection('close'),
      });
      recorder.update(record, { status: response.status });
      return response;
    },
    destroyConnection(how) {
      const destroyed = init.destroyConnection(how);
      if (destroyed) recorder.end(record, { aborted: false });
      return destroyed;
    },
  };
  return { context, streaming: () => streaming };
}
