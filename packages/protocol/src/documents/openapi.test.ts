import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { collectRefs, resolveLocalRef } from '../../test/json-refs.ts';
import { errorBodyExample } from './examples.ts';
import { buildOpenApiDocument } from './openapi.ts';

type Json = Record<string, any>;
const doc = buildOpenApiDocument() as Json;

describe('buildOpenApiDocument', () => {
  it('is OpenAPI 3.2 with every endpoint of the contract', () => {
    expect(doc.openapi).toBe('3.2.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: '1.0.0' });
    const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'GET /ws/{session_id}',
        'GET /health',
        'GET /ready',
        'GET /metrics',
        'GET /openapi.json',
        'GET /asyncapi.json',
        'POST /agent/message/stream',
      ].sort(),
    );
  });

  it('has only $refs that resolve to components', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const { ref, at } of refs) {
      expect(ref, at).toMatch(/^#\/components\//);
      expect(resolveLocalRef(doc, ref), `${ref} at ${at}`).toBeTypeOf('object');
    }
  });

  it('documents the agent endpoint: body, headers, SSE item schema and error statuses', () => {
    const op = doc.paths['/agent/message/stream'].post;
    expect(op.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AgentRequest' });
    const headers = op.parameters.filter((p: Json) => p.in === 'header').map((p: Json) => [p.name, p.required]);
    expect(headers).toEqual([
      ['x-request-id', true],
      ['x-internal-api-key', false],
    ]);
    const sse = op.responses['200'].content['text/event-stream'];
    expect(sse.itemSchema.properties.data.contentSchema).toEqual({ $ref: '#/components/schemas/AgentEvent' });
    expect(Object.keys(op.responses)).toEqual(['200', '401', '403', '422', '429', '5XX']);
    expect(op.servers[0].url).toBe('http://127.0.0.1:8001');
  });

  it('documents the WebSocket upgrade: 101, errors with WSErrorResponse (§1), access_token and bearer', () => {
    const op = doc.paths['/ws/{session_id}'].get;
    expect(Object.keys(op.responses)).toEqual(['101', '400', '401', '403', '408', '426', '431', '503']);
    for (const status of ['400', '401', '403', '408', '426', '431', '503']) {
      expect(op.responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WSErrorResponse' });
    }
    expect(op.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'session_id', in: 'path', required: true, schema: { $ref: '#/components/schemas/SessionId' } }),
        expect.objectContaining({ name: 'access_token', in: 'query', required: false }),
      ]),
    );
    expect(op.security).toEqual([{ clientJwt: [] }, { clientJwtQuery: [] }, {}]);
    expect(doc.components.securitySchemes.clientJwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.components.securitySchemes.clientJwtQuery).toMatchObject({ type: 'apiKey', in: 'query', name: 'access_token' });
  });

  it('has component schemas that validate its own examples (checked with Ajv, JSON Schema 2020-12)', () => {
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'openapi', components: { schemas: doc.components.schemas } });
    const errorBody = ajv.getSchema('openapi#/components/schemas/WSErrorResponse')!;
    for (const [status, response] of Object.entries(doc.paths['/ws/{session_id}'].get.responses as Json)) {
      for (const example of Object.values(response.content?.['application/json'].examples ?? {}) as Json[]) {
        expect(errorBody(example.value), `${status} ${JSON.stringify(errorBody.errors)}`).toBe(true);
      }
    }
    expect(errorBody({ ...errorBodyExample('forbidden'), code: 'nope' })).toBe(false);
    expect(errorBody({ ...errorBodyExample('forbidden'), retryable: true })).toBe(false);
    expect(errorBody({ ...errorBodyExample('server_busy'), retryable: true })).toBe(true);
    expect(ajv.getSchema('openapi#/components/schemas/HealthResponse')!({ status: 'ok' })).toBe(true);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(doc));
  });
});
