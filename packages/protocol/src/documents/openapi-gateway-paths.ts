import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { SessionIdSchema } from '../common.ts';
import { HealthResponseSchema, NotFoundResponseSchema, ReadyResponseSchema } from '../http.ts';
import { ErrorBodySchema } from '../server-frames.ts';
import { errorBodyExample } from './examples.ts';

const jsonError = (description: string, ...codes: Parameters<typeof errorBodyExample>[0][]) => ({
  description,
  content: {
    'application/json': {
      schema: ErrorBodySchema,
      examples: Object.fromEntries(codes.map((code) => [code, { value: errorBodyExample(code) }])),
    },
  },
});

export function registerGatewayPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/ws/{session_id}',
    tags: ['gateway'],
    operationId: 'openSession',
    summary: 'Open the WebSocket of a session',
    description:
      'A WebSocket upgrade (RFC 6455). The frames exchanged afterwards are described by `/asyncapi.json`. ' +
      'Checks, in order: the session id (400), `Origin` (403), the token (401, or 403 for another session), ' +
      'shutting down or too many sockets (503). Browsers cannot set headers on a WebSocket: they pass the token ' +
      'as `access_token`; when both are present the `Authorization` header wins.',
    security: [{ clientJwt: [] }, { clientJwtQuery: [] }, {}],
    request: {
      params: z.object({ session_id: SessionIdSchema }),
      query: z.object({
        access_token: z
          .string()
          .optional()
          .meta({ description: 'HS256 JWT with `exp` and a string `sid` (this session id or `"*"`), for clients that cannot set `Authorization`.' }),
      }),
      headers: z.object({
        upgrade: z.string().meta({ description: '`websocket`, in any case (RFC 6455 §4.2.1).', example: 'websocket' }),
        origin: z
          .string()
          .optional()
          .meta({ description: 'Checked against `GATEWAY__ALLOWED_ORIGINS` when that is set; requests without it pass.' }),
      }),
    },
    responses: {
      101: { description: 'Switching Protocols: the socket is open and `session_started` is its first frame.' },
      400: jsonError(
        'The session id is not one path segment of 1–128 characters of `[A-Za-z0-9._:-]` (`invalid_session_id`); or the request is not ' +
          'a WebSocket handshake the gateway can read: a bad `Sec-WebSocket-Key` or `-Version`, a malformed `Host` (`invalid_message`).',
        'invalid_session_id',
        'invalid_message',
      ),
      401: {
        ...jsonError('No token, or a malformed, badly signed or expired one, or one without a string `sid`.', 'unauthorized'),
        headers: { 'WWW-Authenticate': { description: '`Bearer realm="agent-gateway"` (RFC 6750 §3).', schema: { type: 'string' } } },
      },
      403: jsonError('`Origin` not allowed, or a token for another session.', 'forbidden'),
      426: jsonError(
        'Not an upgrade: no `Upgrade: websocket`, or no `Connection: Upgrade` (a proxy in front that drops hop-by-hop headers does this).',
        'invalid_message',
      ),
      408: jsonError(
        'The request head did not arrive in whole within Node\'s `headersTimeout` (60 s, checked every 30 s: answered after 60–90 s); Deno keeps such a connection open.',
        'invalid_message',
      ),
      431: jsonError('Request headers over 16 KiB (Node; Deno answers its own 400 with no body past some 64 KiB).', 'invalid_message'),
      503: jsonError('Shutting down, or too many open sockets.', 'shutting_down', 'server_busy'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/health',
    tags: ['gateway'],
    operationId: 'health',
    summary: 'Liveness',
    responses: { 200: { description: 'The process answers; the agent is not called.', content: { 'application/json': { schema: HealthResponseSchema } } } },
  });

  registry.registerPath({
    method: 'get',
    path: '/ready',
    tags: ['gateway'],
    operationId: 'ready',
    summary: 'Readiness',
    responses: {
      200: {
        description: "The agent's health path (`GATEWAY__AGENT_HEALTH_PATH`) answered 2xx within `GATEWAY__REQUEST_TIMEOUT`.",
        content: { 'application/json': { schema: ReadyResponseSchema, example: { status: 'ready' } } },
      },
      503: {
        description: 'The agent is not ready (`agent_unavailable`), or the gateway is shutting down (`shutting_down`).',
        content: { 'application/json': { schema: ReadyResponseSchema, example: { status: 'agent_unavailable' } } },
      },
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['gateway'],
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    responses: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } } },
  });

  for (const [path, what] of [
    ['/openapi.json', 'This OpenAPI document'],
    ['/asyncapi.json', 'The AsyncAPI document of the WebSocket frames'],
  ] as const) {
    registry.registerPath({
      method: 'get',
      path,
      tags: ['gateway'],
      operationId: path === '/openapi.json' ? 'openApiDocument' : 'asyncApiDocument',
      summary: what,
      responses: { 200: { description: `${what}, generated from the protocol package.`, content: { 'application/json': { schema: { type: 'object' } } } } },
    });
  }
}
