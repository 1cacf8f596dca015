import type { AgentMessage, WSToolResult } from '@agent-gateway/protocol';
import { detectToolRequest } from './intent.ts';
import {
  GREETING,
  beforeListDir,
  beforeReadFile,
  describeFile,
  describeFolder,
  describeOtherResult,
  describeToolError,
} from './replies.ts';
import type { IssuedToolCall, ToolCallRegistry } from './tool-calls.ts';

/** What the default agent answers to one message: text, then maybe one tool call. */
export interface AgentReply {
  text: string;
  toolCall?: IssuedToolCall;
}

const pathOf = (call: IssuedToolCall | undefined): string | undefined =>
  typeof call?.arguments.path === 'string' ? call.arguments.path : undefined;

function answerToolResult(message: WSToolResult, toolCalls: ToolCallRegistry): AgentReply {
  const call = toolCalls.lookup(message.tool_call_id);
  const { result } = message;
  if (message.is_error === true) return { text: describeToolError(result) };
  // A call this instance did not issue (another process, a test) is recognized by its result's shape.
  const name = call?.name ?? (typeof result === 'string' ? 'read_file' : Array.isArray(result) ? 'list_dir' : undefined);
  if (name === 'read_file' && typeof result === 'string') return { text: describeFile(pathOf(call), result) };
  if (name === 'list_dir' && Array.isArray(result)) return { text: describeFolder(pathOf(call), result) };
  return { text: describeOtherResult(name, result) };
}

/** The built-in coding agent: deterministic, stateless but for the calls it issued. */
export function respond(message: AgentMessage, toolCalls: ToolCallRegistry): AgentReply {
  if (message.type === 'tool_result') return answerToolResult(message, toolCalls);
  const request = detectToolRequest(message.content);
  if (!request) return { text: GREETING };
  const toolCall: IssuedToolCall = {
    tool_call_id: toolCalls.nextId(),
    name: request.name,
    arguments: { path: request.path },
  };
  toolCalls.remember(toolCall);
  const text = request.name === 'read_file' ? beforeReadFile(request.path) : beforeListDir(request.path);
  return { text, toolCall };
}
