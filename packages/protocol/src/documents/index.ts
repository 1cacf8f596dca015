export { buildOpenApiDocument } from './openapi.ts';
export { buildAsyncApiDocument } from './asyncapi.ts';
export { buildJsonSchemaBundle, protocolJsonSchemas, type JsonSchema, type JsonSchemaOptions } from './json-schema.ts';
export { renderGeneratedFiles } from './generated-files.ts';
export { namedSchemas, schemaId } from './named-schemas.ts';
export { serializeDocument, type JsonObject } from './json.ts';
export { AGENT_EXAMPLES, AGENT_REQUEST_EXAMPLE, CLIENT_EXAMPLES, SERVER_EXAMPLES, errorBodyExample } from './examples.ts';
