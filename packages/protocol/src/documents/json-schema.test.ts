import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { collectRefs, resolveLocalRef } from '../../test/json-refs.ts';
import { AGENT_EXAMPLES, AGENT_REQUEST_EXAMPLE, CLIENT_EXAMPLES, errorBodyExample, SERVER_EXAMPLES } from './examples.ts';
import { buildJsonSchemaBundle } from './json-schema.ts';
import { namedSchemas } from './named-schemas.ts';

const bundle = buildJsonSchemaBundle();
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addSchema(bundle, 'protocol');
const validate = (id: string, value: unknown) => {
  const check = ajv.getSchema(`protocol#/$defs/${id}`);
  if (!check) throw new Error(`no schema ${id}`);
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

describe('buildJsonSchemaBundle', () => {
  it('holds every named schema under $defs, and nothing else', () => {
    expect(bundle.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(bundle.$defs as object)).toEqual([...namedSchemas().keys()]);
    expect(Object.keys(bundle.$defs as object)).toEqual(expect.arrayContaining(['ClientMessage', 'ServerFrame', 'AgentEvent', 'AgentRequest']));
  });

  it('has only $refs that resolve inside it', () => {
    const refs = collectRefs(bundle);
    expect(refs.length).toBeGreaterThan(10);
    for (const { ref, at } of refs) expect(resolveLocalRef(bundle, ref), `${ref} at ${at}`).toBeTypeOf('object');
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildJsonSchemaBundle())).toBe(JSON.stringify(bundle));
  });

  it('validates the examples as the Zod schemas do (checked with Ajv)', () => {
    for (const frame of Object.values(CLIENT_EXAMPLES)) expect(validate('ClientMessage', frame)).toEqual([]);
    for (const frame of Object.values(SERVER_EXAMPLES)) expect(validate('ServerFrame', frame)).toEqual([]);
    for (const event of Object.values(AGENT_EXAMPLES)) expect(validate('AgentEvent', event)).toEqual([]);
    expect(validate('AgentRequest', AGENT_REQUEST_EXAMPLE)).toEqual([]);
    expect(validate('WSToolResult', { type: 'tool_result', tool_call_id: 'c', result: null })).toEqual([]);
  });

  it.each([
    ['WSToolResult', { type: 'tool_result', tool_call_id: 'c' }],
    ['WSUserMessage', { type: 'user_message', content: '' }],
    ['WSUserMessage', { type: 'user_message', content: 'hi', request_id: 'a b' }],
    ['WSUserMessage', { type: 'user_message', content: 'hi', request_id: 'x'.repeat(129) }],
    ['WSUserMessage', { type: 'user_message', content: 'hi', request_id: 'ré' }],
    ['ClientMessage', { type: 'hello' }],
    ['AgentEvent', { type: 'token', content: 5 }],
    ['AgentEvent', { type: 7 }],
    ['AgentEvent', []],
    ['ServerFrame', { type: 'token', content: 5, request_id: 'r', seq: 1 }],
    ['WSErrorResponse', { ...SERVER_EXAMPLES.gateway_error, code: 'model_overloaded' }],
    // §5 gives each code its retryable.
    ['WSErrorResponse', { ...errorBodyExample('invalid_json'), retryable: true }],
    ['WSErrorResponse', { ...errorBodyExample('server_busy'), retryable: false }],
    ['GatewayErrorFrame', { ...SERVER_EXAMPLES.gateway_error, retryable: !SERVER_EXAMPLES.gateway_error.retryable }],
    ['SessionId', 'a/b'],
  ])('refuses an invalid %s: %j', (id, value) => {
    expect(validate(id, value)).not.toEqual([]);
  });
});
