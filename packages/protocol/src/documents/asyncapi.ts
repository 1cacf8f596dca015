import { SESSION_ID_PATTERN } from '../common.ts';
import { CLIENT_MESSAGES, SERVER_MESSAGES, closeCodeTable, toAsyncApiMessage } from './asyncapi-messages.ts';
import { protocolJsonSchemas } from './json-schema.ts';
import type { JsonObject } from './json.ts';
import { DOCUMENT_VERSION } from './document-info.ts';

const CHANNEL = 'session';

const refs = (prefix: string, names: string[]) => names.map((name) => ({ $ref: `${prefix}${name}` }));

const CHANNEL_DESCRIPTION = [
  'One WebSocket per session; text frames, one JSON object each. Every gateway frame carries `seq`',
  '(1, 2, 3… per connection); every frame of a turn carries its `request_id`. Every turn ends with exactly one',
  'terminal frame (`done` or `error`) unless the connection is gone. An invalid IDE frame gets an `error` frame',
  'and the connection stays usable. A second connection to the same session takes it over.',
  '',
  'Turns (what an IDE relies on):',
  '',
  '- Each `user_message` or `tool_result` starts a turn, named by its `request_id` (the gateway makes a UUID when',
  '  the frame has none). A session runs one turn at a time, in arrival order; later ones wait in a queue, and',
  '  past `GATEWAY__MAX_QUEUED_MESSAGES` waiting the new turn ends at once with `queue_full`.',
  '- The gateway holds no pending tool results: when the agent needs a tool it sends `tool_call`, then `done`',
  '  with `finish_reason: "tool_calls"`, and the turn is over. The IDE runs the tool and sends `tool_result`, a',
  '  new turn. A `tool_result` for a `tool_call_id` the agent already accepted (a 2xx answer) ends with',
  '  `duplicate_tool_result`; those marks last while the session has a socket (a takeover keeps them).',
  '- `cancel` without `request_id` ends the turn in flight and every queued one; with it, that turn only. Each',
  '  cancelled turn ends with `done`, `finish_reason: "cancelled"` (text already buffered comes first).',
  '  Cancelling nothing sends nothing.',
  '- Consecutive `token` frames may be coalesced: the concatenated `content` is exactly the agent\'s, and a',
  '  token is held at most `GATEWAY__TOKEN_BUFFER_FLUSH_MS`.',
  '- A refused frame started no turn: its `error` carries the frame\'s `request_id` at the top level only when',
  '  that id is valid and not used by a live turn, else in `details.request_id` (none for `invalid_json`).',
  '- When the socket closes, the turn in flight is aborted and queued turns are dropped. After a takeover',
  '  (the old socket closed with 4001), the new socket\'s first turn reaches the agent once the old request',
  '  has ended.',
  '- At shutdown, turns in flight may finish for up to `GATEWAY__SHUTDOWN_GRACE` s, then end with',
  '  `shutting_down`; queued and new turns end with `shutting_down` at once; each socket closes with 1001 once',
  '  it has no turn left.',
  '- The gateway pings every `GATEWAY__WS_PING_INTERVAL` s (`0`: off) and drops a connection whose pong has',
  '  not come back within two intervals (the client sees 1006). On Deno it is Deno\'s `idleTimeout`: a ping',
  '  after one interval without a frame from the client, then a close with 1001 if nothing comes in the next.',
  '  A `ping` frame from the IDE is answered with `pong` (same `id`).',
  '',
  'Close codes:',
  '',
  closeCodeTable(),
].join('\n');

/** The AsyncAPI 3.0 document of the WebSocket `/ws/{session_id}`, seen from the gateway. */
export function buildAsyncApiDocument(): JsonObject {
  const clientNames = Object.keys(CLIENT_MESSAGES);
  const serverNames = Object.keys(SERVER_MESSAGES);
  const messages = Object.fromEntries(
    [...Object.entries(CLIENT_MESSAGES), ...Object.entries(SERVER_MESSAGES)].map(([name, spec]) => [
      name,
      toAsyncApiMessage(name, spec),
    ]),
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Agent Gateway WebSocket',
      version: DOCUMENT_VERSION,
      description:
        'Frames between an IDE and the gateway. Field names are snake_case; frames are open objects (unknown fields are kept). ' +
        'Generated from @agent-gateway/protocol: do not edit, run `pnpm generate`.',
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: 'localhost:8000',
        protocol: 'ws',
        description:
          'The gateway (`GATEWAY__PORT`, default 8000). Authentication is on when `GATEWAY__CLIENT_JWT_SECRET` is set.',
        security: refs('#/components/securitySchemes/', ['clientJwt', 'clientJwtQuery']),
      },
    },
    channels: {
      [CHANNEL]: {
        address: '/ws/{session_id}',
        title: 'Session',
        description: CHANNEL_DESCRIPTION,
        parameters: {
          session_id: { description: `One path segment matching \`${SESSION_ID_PATTERN.source}\`.`, examples: ['s1'] },
        },
        messages: Object.fromEntries(Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                access_token: { type: 'string', description: 'The JWT, for clients that cannot set `Authorization`.' },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations: {
      receiveClientFrame: {
        action: 'receive',
        channel: { $ref: `#/channels/${CHANNEL}` },
        title: 'IDE → gateway',
        summary: 'Frames the IDE sends.',
        messages: refs(`#/channels/${CHANNEL}/messages/`, clientNames),
      },
      sendServerFrame: {
        action: 'send',
        channel: { $ref: `#/channels/${CHANNEL}` },
        title: 'Gateway → IDE',
        summary: 'Frames the gateway sends.',
        messages: refs(`#/channels/${CHANNEL}/messages/`, serverNames),
      },
    },
    components: {
      schemas: protocolJsonSchemas({ target: 'draft-07', refPrefix: '#/components/schemas/' }),
      messages,
      securitySchemes: {
        clientJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 JWT with `exp` and a string `sid`.' },
        clientJwtQuery: {
          type: 'httpApiKey',
          in: 'query',
          name: 'access_token',
          description: 'The same JWT as a query parameter (browsers); the header wins when both are present.',
        },
      },
    },
  };
}
