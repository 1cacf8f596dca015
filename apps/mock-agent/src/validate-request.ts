import { AgentRequestSchema, toProtocolIssues, type AgentRequest } from '@agent-gateway/protocol';
import type { RequestIssue } from './http-errors.ts';

/** The body as JSON when it is JSON, else its text. */
export type ParsedBody = { json: true; value: unknown; text: string } | { json: false; error: string; text: string };

export function parseBody(text: string): ParsedBody {
  try {
    return { json: true, value: JSON.parse(text), text };
  } catch (error) {
    return { json: false, error: (error as Error).message, text };
  }
}

/** Compares without stopping at the first difference. */
function sameSecret(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= (given.charCodeAt(i % Math.max(given.length, 1)) ^ expected.charCodeAt(i)) & 0xffff;
  }
  return diff === 0;
}

/** The reason to refuse the `x-internal-api-key` header, or undefined when it is fine (or no key is configured). */
export function apiKeyProblem(given: string | undefined, expected: string | undefined): string | undefined {
  if (expected === undefined) return undefined;
  if (given === undefined) return 'missing x-internal-api-key header';
  return sameSecret(given, expected) ? undefined : 'wrong x-internal-api-key';
}

/**
 * Validates the body of `POST /agent/message/stream` with the protocol's
 * `AgentRequestSchema`, and that its three request ids agree (protocol.md §3:
 * the message's `request_id` is filled in, and `x-request-id` carries it), so
 * a gateway that mixed them up fails its tests here.
 */
export function validateAgentRequest(
  body: ParsedBody,
  requestIdHeader?: string,
): { ok: true; request: AgentRequest } | { ok: false; issues: RequestIssue[] } {
  if (!body.json) return { ok: false, issues: [{ path: [], message: `body is not valid JSON: ${body.error}` }] };
  const result = AgentRequestSchema.safeParse(body.value);
  if (!result.success) return { ok: false, issues: toProtocolIssues(result.error).map(({ path, message }) => ({ path, message })) };
  const request = result.data;
  const issues: RequestIssue[] = [];
  if (request.message.request_id !== request.request_id) {
    issues.push({ path: ['message', 'request_id'], message: `must be the body's request_id ${JSON.stringify(request.request_id)}` });
  }
  if (requestIdHeader !== undefined && requestIdHeader !== request.request_id) {
    issues.push({ path: ['x-request-id'], message: `header must be the body's request_id ${JSON.stringify(request.request_id)}` });
  }
  return issues.length === 0 ? { ok: true, request } : { ok: false, issues };
}
