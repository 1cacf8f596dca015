import type { AgentRequest } from '@agent-gateway/protocol';
import type { z } from 'zod';
import type { ToolCallRegistry } from './agent/tool-calls.ts';
import type { EventStreamWriter } from './event-stream.ts';

/** What a scenario gets to answer one request. */
export interface ScenarioContext {
  /** The validated body. */
  readonly request: AgentRequest;
  /** The body exactly as received. */
  readonly rawBody: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The app's default pause between tokens. */
  readonly tokenDelayMs: number;
  readonly toolCalls: ToolCallRegistry;
  /** A `text/event-stream` response written by `produce`; the request's record ends with it. */
  stream(
    produce: (writer: EventStreamWriter) => Promise<void>,
    init?: { status?: number; headers?: Record<string, string> },
  ): Response;
  /**
   * Destroys the connection at once (`reset`: with a TCP RST where the runtime
   * can). Returns false when the runtime gave the app no way to do it.
   */
  destroyConnection(how: 'reset' | 'close'): boolean;
  /** Resolves when the client goes away. */
  readonly clientGone: Promise<void>;
}

export interface Scenario<Params = unknown> {
  readonly name: string;
  /** Validates the scenario object's fields other than `name`. */
  readonly params: z.ZodType<Params>;
  run(context: ScenarioContext, params: Params): Response | Promise<Response>;
}

/** Infers `run`'s params from the schema. */
export const defineScenario = <Schema extends z.ZodType>(scenario: {
  name: string;
  params: Schema;
  run(context: ScenarioContext, params: z.output<Schema>): Response | Promise<Response>;
}): Scenario<z.output<Schema>> => scenario as Scenario<z.output<Schema>>;
