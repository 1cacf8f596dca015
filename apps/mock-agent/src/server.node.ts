import { serve, type HttpBindings } from '@hono/node-server';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createMockAgentApp } from './app.ts';
import { createRecorder, type ConnectionStats, type Recorder, type RequestRecord } from './recorder.ts';

export interface StartMockAgentOptions {
  /** `0` (the default here): any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** When set, requests need this `x-internal-api-key`. */
  apiKey?: string;
  /** The default agent's pause between tokens; default 15 ms. */
  tokenDelayMs?: number;
}

export interface MockAgentServer {
  /** `http://HOST:PORT` with the host as configured and the real port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Records of every `POST /agent/message/stream`; `recorder.waitFor` awaits changes. */
  readonly recorder: Recorder;
  /** The live list of records (same as `recorder.requests`). */
  readonly requests: readonly RequestRecord[];
  /** TCP connections accepted so far and open now. */
  readonly connections: ConnectionStats;
  /** Stops listening and destroys every connection; safe to call twice. */
  close(): Promise<void>;
}

const formatUrl = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Closes the socket once the response bytes produced so far have left it,
 * without ending the response: the client sees the body stop mid-stream.
 * (@hono/node-server reads a stream's first chunks before it writes the head,
 * so a chunk the app has handed over may not be on the socket yet.)
 */
function closeWhenFlushed(outgoing: ServerResponse, socket: Socket): void {
  if (socket.destroyed) return;
  if (!outgoing.headersSent) {
    setImmediate(closeWhenFlushed, outgoing, socket);
    return;
  }
  // end() flushes what is queued, then sends FIN; destroy once it has.
  socket.end(() => socket.destroy());
}

/** Reaches the Node socket behind a request: the only node-specific thing the app needs. */
function destroyConnection(env: unknown, how: 'reset' | 'close'): boolean {
  const bindings = env as Partial<HttpBindings> | undefined;
  const socket = bindings?.incoming?.socket;
  if (!socket || !bindings?.outgoing) return false;
  // resetAndDestroy sends a TCP RST: the client sees ECONNRESET, as from a crashed agent.
  if (how === 'reset') socket.resetAndDestroy();
  else closeWhenFlushed(bindings.outgoing, socket);
  return true;
}

/** Starts the mock agent on Node (`@hono/node-server`). */
export async function startMockAgent(options: StartMockAgentOptions = {}): Promise<MockAgentServer> {
  const host = options.host ?? '127.0.0.1';
  const recorder = createRecorder();
  const app = createMockAgentApp({
    recorder,
    destroyConnection,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.tokenDelayMs === undefined ? {} : { tokenDelayMs: options.tokenDelayMs }),
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => {
      created.off('error', reject);
      resolve(created as Server);
    });
    created.once('error', reject);
  });
  server.on('connection', (socket: Socket) => {
    recorder.connectionOpened();
    socket.once('close', () => recorder.connectionClosed());
  });

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: formatUrl(host, port),
    host,
    port,
    recorder,
    get requests() {
      return recorder.requests;
    },
    get connections() {
      return recorder.connections;
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Streams that never end (hang, slow) would keep close() waiting forever.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
