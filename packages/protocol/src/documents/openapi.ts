import { OpenAPIRegistry, OpenApiGeneratorV32 } from '@asteasolutions/zod-to-openapi';
import { DOCUMENT_VERSION, GATEWAY_SERVER } from './document-info.ts';
import { NotFoundResponseSchema } from '../http.ts';
import type { JsonObject } from './json.ts';
import { namedSchemas, schemaId } from './named-schemas.ts';
import { registerAgentPath } from './openapi-agent-path.ts';
import { registerGatewayPaths } from './openapi-gateway-paths.ts';

const SECURITY_SCHEMES = {
  clientJwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'HS256 JWT with `exp` and a string `sid`; required when `GATEWAY__CLIENT_JWT_SECRET` is set.',
  },
  clientJwtQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The same JWT as a query parameter, for browsers. Redacted from logs.',
  },
  internalApiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-internal-api-key',
    description: 'Sent by the gateway to the agent when `GATEWAY__INTERNAL_API_KEY` is set.',
  },
} as const;

/** The OpenAPI 3.2 document of the gateway's HTTP endpoints and of the agent endpoint it calls. */
export function buildOpenApiDocument(): JsonObject {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent('securitySchemes', name, scheme);
  registerGatewayPaths(registry);
  // Any other method or path: the gateway's 404.
  registry.registerComponent('responses', 'NotFound', {
    description: 'A method and path the gateway does not serve.',
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaId(NotFoundResponseSchema)}` } } },
  });
  registerAgentPath(registry);
  // Every named schema becomes a component, so that `$ref`s written by hand
  // (the SSE item schema) resolve and client generators get the frame types.
  // Wrapped as `{ type: 'schema' }`: the generator tells a bare schema from a
  // definition by `'type' in x`, and zod 4 schemas have a `type` property.
  const schemas = [...namedSchemas().values()].map((schema) => ({ type: 'schema' as const, schema }));
  const generator = new OpenApiGeneratorV32([...registry.definitions, ...schemas], { sortComponents: 'alphabetically' });
  const document = generator.generateDocument({
    openapi: '3.2.0',
    info: {
      title: 'Agent Gateway',
      version: DOCUMENT_VERSION,
      description:
        'HTTP endpoints of the gateway, and the agent endpoint it calls. The WebSocket frames are in `/asyncapi.json`. ' +
        'Generated from @agent-gateway/protocol: do not edit, run `pnpm generate`.',
    },
    servers: [GATEWAY_SERVER],
    tags: [
      { name: 'gateway', description: 'Served by the gateway.' },
      { name: 'agent', description: 'Served by the agent runtime; the gateway is its client.' },
    ],
  });
  // The generator always writes `parameters`, even when there are none.
  if (document.components?.parameters && Object.keys(document.components.parameters).length === 0) {
    delete document.components.parameters;
  }
  return document as unknown as JsonObject;
}
