import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildAsyncApiDocument } from './asyncapi.ts';
import { SERVER_EXAMPLES } from './examples.ts';
import { buildJsonSchemaBundle } from './json-schema.ts';
import { namedSchemas } from './named-schemas.ts';
import { buildOpenApiDocument } from './openapi.ts';

type Json = Record<string, any>;

// Each document's copy of a named schema, compiled as its readers would: OpenAPI 3.2 and the bundle as
// JSON Schema 2020-12, AsyncAPI's payloads as draft-07.
const openapi = new Ajv2020({ strict: false });
openapi.addSchema({ $id: 'openapi', components: { schemas: (buildOpenApiDocument() as Json).components.schemas } });
const asyncapi = new Ajv({ strict: false });
asyncapi.addSchema({ $id: 'asyncapi', components: { schemas: (buildAsyncApiDocument() as Json).components.schemas } });
const bundle = new Ajv2020({ strict: false });
bundle.addSchema(buildJsonSchemaBundle(), 'protocol');

const verdicts = (id: string, value: unknown) => ({
  zod: (namedSchemas().get(id) as z.ZodType).safeParse(value).success,
  openapi: openapi.getSchema(`openapi#/components/schemas/${id}`)!(value),
  asyncapi: asyncapi.getSchema(`asyncapi#/components/schemas/${id}`)!(value),
  bundle: bundle.getSchema(`protocol#/$defs/${id}`)!(value),
});
const all = (ok: boolean) => ({ zod: ok, openapi: ok, asyncapi: ok, bundle: ok });

const MAX = Number.MAX_SAFE_INTEGER;
const started = SERVER_EXAMPLES.session_started;

describe('the generated documents and the Zod schemas', () => {
  it.each([
    ['Seq', MAX, true],
    ['Seq', MAX + 1, false],
    ['Seq', 0, false],
    ['Usage', { input_tokens: MAX, output_tokens: 0 }, true],
    ['Usage', { input_tokens: MAX + 1 }, false],
    ['Usage', { output_tokens: -1 }, false],
    ['Usage', { output_tokens: 1.5 }, false],
    ['GatewayErrorDetails', { status: 503, max_event_bytes: MAX }, true],
    ['GatewayErrorDetails', { max_event_bytes: MAX + 1 }, false],
    ['GatewayErrorDetails', { status: -(MAX + 1) }, false],
    ['SessionStarted', started, true],
    ['SessionStarted', { ...started, protocol_version: 2 }, false],
    ['SessionStarted', { ...started, protocol_version: '1' }, false],
    ['SessionStarted', { ...started, seq: MAX + 1 }, false],
  ])('give %s %j the same verdict', (id, value, ok) => {
    expect(verdicts(id, value)).toEqual(all(ok));
  });

  it('type protocol_version as an integer, so that code generators do not make it a float', () => {
    const docs: Json[] = [
      (buildOpenApiDocument() as Json).components.schemas,
      (buildAsyncApiDocument() as Json).components.schemas,
      buildJsonSchemaBundle().$defs as Json,
    ];
    for (const schemas of docs) expect(schemas.SessionStarted.properties.protocol_version).toEqual({ type: 'integer', const: 1 });
  });
});
