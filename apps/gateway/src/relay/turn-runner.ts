import { AgentClient, UpstreamAborted, type UpstreamDrain } from '../agent/agent-client.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import { loggers } from '../observability/logger.ts';
import type { Turn } from '../session/turn.ts';

export interface TurnRunnerContext {
  sessionId: string;
  /** Whether the agent accepted a `tool_result` for this `tool_call_id` (protocol.md §6). */
  isToolCallAccepted(toolCallId: string): boolean;
  markToolCallAccepted(toolCallId: string): void;
  /** The turn's request goes on draining its body after the terminal event (§4). */
  onDrain?(drain: UpstreamDrain): void;
}

/**
 * Runs one turn: POSTs its message to the agent and relays the events to the
 * turn's connection, reading the upstream only while the client keeps up
 * (protocol.md §8). Never throws; resolves once the upstream request is over.
 */
export async function runTurn(turn: Turn, ctx: TurnRunnerContext, agent: AgentClient): Promise<void> {
  turn.startedAt = performance.now();
  const { message } = turn;
  // The line for a turn is its end; at debug, its start as well (a long turn shows before it ends).
  // Properties built only when debug is on: this runs for every turn.
  loggers.turn().debug('turn started', () => ({
    session_id: ctx.sessionId,
    connection_id: turn.connection.id,
    request_id: turn.requestId,
    kind: message.type,
    queued_ms: Math.round(turn.startedAt! - turn.receivedAt),
  }));
  if (message.type === 'tool_result' && ctx.isToolCallAccepted(message.tool_call_id)) {
    turn.fail(
      new GatewayError('duplicate_tool_result', `the agent already accepted a tool_result for ${message.tool_call_id}`, {
        details: { tool_call_id: message.tool_call_id },
      }),
    );
    return;
  }
  const connection = turn.connection;
  try {
    const events = agent.stream({
      sessionId: ctx.sessionId,
      requestId: turn.requestId,
      message,
      messageJson: turn.messageJson,
      signal: turn.controller.signal,
      onAccepted:
        message.type === 'tool_result'
          ? () => {
              // A late answer (Deno's abort grace) to a turn whose socket closed: the session's marks
              // went with the socket (§6: they last while it has one; a takeover keeps them).
              if (turn.outcome === 'disconnected' && !turn.takenOver) return;
              ctx.markToolCallAccepted(message.tool_call_id);
            }
          : undefined,
      onDrain: ctx.onDrain?.bind(ctx),
    });
    for await (const batch of events) {
      connection.batch(() => {
        for (let i = 0; i < batch.length && !turn.finished; i++) turn.relay(batch[i]!.event, batch[i]!.data);
      });
      if (turn.finished) break;
      // Flow control: stop pulling from the agent while the client's buffer is over the limit,
      // until it drains or the turn ends (a cancel must reach the agent now, not once the client reads).
      if (connection.isOverLimit) await Promise.race([connection.waitForDrain(), turn.aborted]);
      if (turn.finished) break;
    }
    if (!turn.finished) turn.fail(new GatewayError('agent_stream_interrupted', 'the agent stream ended before a terminal event'));
  } catch (error) {
    if (error instanceof UpstreamAborted) {
      // Whoever aborted (cancel, disconnect, shutdown) has already ended the turn.
      if (!turn.finished) turn.abandon();
      return;
    }
    turn.fail(toGatewayError(error));
  }
}
