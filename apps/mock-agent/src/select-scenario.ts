import { toProtocolIssues, type AgentMessage } from '@agent-gateway/protocol';
import type { RequestIssue } from './http-errors.ts';
import type { Scenario } from './scenario.ts';
import { SCENARIOS, SCENARIO_NAMES, defaultAgent } from './scenarios/index.ts';

export type ScenarioSelection =
  | { ok: true; scenario: Scenario<unknown>; params: unknown }
  | { ok: false; issues: RequestIssue[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SCENARIO_PATH = ['message', 'metadata', 'scenario'];

/**
 * Picks the scenario named by `message.metadata.scenario`: a name, or an
 * object `{ name, ...params }`. `tool_result` frames carry `metadata` as an
 * extra field, so they can name one too. No scenario: the default agent.
 */
export function selectScenario(message: AgentMessage): ScenarioSelection {
  const metadata = (message as { metadata?: unknown }).metadata;
  const chosen = isObject(metadata) ? metadata.scenario : undefined;
  if (chosen === undefined) return { ok: true, scenario: defaultAgent, params: {} };

  let name: unknown;
  let rawParams: Record<string, unknown> = {};
  if (typeof chosen === 'string') name = chosen;
  else if (isObject(chosen)) ({ name, ...rawParams } = chosen);
  if (typeof name !== 'string') {
    return {
      ok: false,
      issues: [{ path: SCENARIO_PATH, message: 'scenario must be a name or an object with a string `name`' }],
    };
  }
  const scenario = SCENARIOS.get(name);
  if (!scenario) {
    const path = typeof chosen === 'string' ? SCENARIO_PATH : [...SCENARIO_PATH, 'name'];
    return { ok: false, issues: [{ path, message: `unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}` }] };
  }
  const parsed = scenario.params.safeParse(rawParams);
  if (!parsed.success) {
    const issues = toProtocolIssues(parsed.error).map(({ path, message }) => ({ path: [...SCENARIO_PATH, ...path], message }));
    return { ok: false, issues };
  }
  return { ok: true, scenario, params: parsed.data };
}
