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

/** Validates the body of `POST /agent/message/stream` with the protocol's `AgentRequestSchema`. */
export function validateAgentRequest(body: ParsedBody): { ok: true; request: AgentRequest } | { ok: false; issues: RequestIssue[] } {
  if (!body.json) return { ok: false, issues: [{ path: [], message: `body is not valid JSON: ${body.error}` }] };
  const result = AgentRequestSchema.safeParse(body.value);
  if (result.success) return { ok: true, request: result.data };
  return { ok: false, issues: toProtocolIssues(result.error).map(({ path, message }) => ({ path, message })) };
}
