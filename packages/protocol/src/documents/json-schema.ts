import { z } from 'zod';
import { namedSchemas } from './named-schemas.ts';

export type JsonSchema = Record<string, unknown>;

export interface JsonSchemaOptions {
  target: 'draft-07' | 'draft-2020-12';
  /** Where a `$ref` to a named schema points, e.g. `#/components/schemas/`. */
  refPrefix: string;
}

/**
 * Converts every named protocol schema with zod's own converter. A private
 * registry holds exactly the protocol's schemas, so nested named schemas
 * become `$ref`s to `refPrefix + id` and nothing else leaks in.
 */
export function protocolJsonSchemas({ target, refPrefix }: JsonSchemaOptions): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of namedSchemas()) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target, uri: (id) => `${refPrefix}${id}` });
  const { __shared, ...named } = schemas;
  // A schema with an id that is not exported would land in `__shared`, out of
  // reach of the `$ref`s: fail rather than write a broken document.
  if (__shared !== undefined) throw new Error('a named schema used by the protocol is not exported from its index');
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(named)) {
    // Each entry is a component inside a larger document, not a document of
    // its own: `$schema` belongs to that document, and the `$id` zod sets to
    // the ref (`#/$defs/X`) is not a valid `$id` (no JSON-pointer fragments).
    const { $schema: _dialect, $id: _ref, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

/** One JSON Schema (2020-12) document with every named schema under `$defs`, for code generators of other languages. */
export function buildJsonSchemaBundle(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Agent Gateway wire protocol v1',
    description:
      'Every named schema of @agent-gateway/protocol. Generated from its Zod schemas: do not edit, run `pnpm generate`.',
    $defs: protocolJsonSchemas({ target: 'draft-2020-12', refPrefix: '#/$defs/' }),
  };
}
