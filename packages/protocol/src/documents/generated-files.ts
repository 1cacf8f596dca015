import { buildAsyncApiDocument } from './asyncapi.ts';
import { buildJsonSchemaBundle } from './json-schema.ts';
import { serializeDocument } from './json.ts';
import { buildOpenApiDocument } from './openapi.ts';

/** The files under `generated/`, by name, with the exact text `pnpm generate` writes. */
export function renderGeneratedFiles(): Record<string, string> {
  return {
    'openapi.json': serializeDocument(buildOpenApiDocument()),
    'asyncapi.json': serializeDocument(buildAsyncApiDocument()),
    'protocol.schema.json': serializeDocument(buildJsonSchemaBundle()),
  };
}
