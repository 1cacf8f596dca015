import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { collectRefs, resolveLocalRef } from '../../test/json-refs.ts';
import { buildAsyncApiDocument } from './asyncapi.ts';

type Json = Record<string, any>;
const doc = buildAsyncApiDocument() as Json;

const CLIENT = ['user_message', 'tool_result', 'cancel', 'ping'];
const SERVER = ['session_started', 'token', 'tool_call', 'done', 'gateway_error', 'agent_error', 'pong', 'unknown_event'];

describe('buildAsyncApiDocument', () => {
  it('passes @asyncapi/parser without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    // Severity 0 is an error, 1 a warning; 2–3 are hints (e.g. "3.1.0 exists").
    const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} ${d.message} at ${d.path.join('/')}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document?.channels().all().map((c) => c.address())).toEqual(['/ws/{session_id}']);
  });

  it('reports a broken document (the validator is live)', async () => {
    const broken = structuredClone(doc);
    delete broken.components.schemas.RequestId;
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(broken));
    expect(document).toBeUndefined();
    expect(diagnostics.some((d) => d.severity === 0 && d.code === 'invalid-ref')).toBe(true);
  });

  it('receives every IDE frame and sends every gateway frame on /ws/{session_id}', () => {
    const names = (op: Json) => op.messages.map((m: Json) => m.$ref.split('/').pop());
    expect(doc.operations.receiveClientFrame.action).toBe('receive');
    expect(names(doc.operations.receiveClientFrame)).toEqual(CLIENT);
    expect(doc.operations.sendServerFrame.action).toBe('send');
    expect(names(doc.operations.sendServerFrame)).toEqual(SERVER);
    expect(Object.keys(doc.channels.session.messages)).toEqual([...CLIENT, ...SERVER]);
  });

  it('has only $refs that resolve inside it', () => {
    for (const { ref, at } of collectRefs(doc)) expect(resolveLocalRef(doc, ref), `${ref} at ${at}`).toBeTypeOf('object');
  });

  it('gives each message a payload schema that accepts its example (draft-07, checked with Ajv)', () => {
    const ajv = new Ajv({ strict: false });
    ajv.addSchema({ $id: 'asyncapi', components: { schemas: doc.components.schemas } });
    for (const [name, message] of Object.entries(doc.components.messages as Json)) {
      const validate = ajv.getSchema(`asyncapi${message.payload.$ref}`)!;
      for (const example of message.examples) expect(validate(example.payload), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const gatewayError = ajv.getSchema('asyncapi#/components/schemas/GatewayErrorFrame')!;
    const example = doc.components.messages.gateway_error.examples[0].payload;
    expect(gatewayError(example)).toBe(true);
    expect(gatewayError({ ...example, code: 'nope' })).toBe(false);
    // draft-07 if/then/else: each code has its retryable (§5).
    expect(gatewayError({ ...example, retryable: !example.retryable })).toBe(false);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildAsyncApiDocument())).toBe(JSON.stringify(doc));
  });
});
