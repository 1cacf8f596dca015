import { Hono } from 'hono';
import { buildAsyncApiDocument, buildOpenApiDocument } from '@agent-gateway/protocol/documents';

/** `/openapi.json` and `/asyncapi.json`, generated from the protocol package once and cached. */
export function createDocumentRoutes(): Hono {
  const app = new Hono();
  let openapi: string | undefined;
  let asyncapi: string | undefined;
  const json = (body: string) => new Response(body, { headers: { 'content-type': 'application/json' } });
  app.get('/openapi.json', () => json((openapi ??= JSON.stringify(buildOpenApiDocument()))));
  app.get('/asyncapi.json', () => json((asyncapi ??= JSON.stringify(buildAsyncApiDocument()))));
  return app;
}
