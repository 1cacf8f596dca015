/**
 * The smallest relay Node can do with the gateway's libraries, no gateway
 * code: `ws` accepts the socket, a message POSTs to the agent over an undici
 * `Pool` (as the gateway does), and each SSE event's data goes back as one
 * frame (with `seq` and `request_id`). The floor for the gateway on Node:
 * run latency-timeline.ts against it and against the gateway.
 *
 *   AGENT=http://127.0.0.1:PORT node --import tsx src/diagnostics/relay-floor.node.ts
 *
 * `pnpm bench --floor` measures it beside the gateway (it answers `GET /health`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { WebSocketServer } from 'ws';

const agent = new URL(process.env.AGENT ?? 'http://127.0.0.1:8001');
const pool = new Pool(agent.origin, { connections: null, headersTimeout: 0, bodyTimeout: 0 });
const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
const server = createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end());

server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    let seq = 0;
    ws.send(JSON.stringify({ type: 'session_started', seq: ++seq }));
    ws.on('message', (data) => void relay(String(data)).catch(() => ws.close(1011)));
    async function relay(text: string): Promise<void> {
      const message = JSON.parse(text) as { request_id?: string };
      const { body } = await pool.request({
        path: '/agent/message/stream',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ session_id: 'floor', request_id: message.request_id, message }),
      });
      body.setEncoding('utf8');
      let buffer = '';
      for await (const text of body as AsyncIterable<string>) {
        buffer += text;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = JSON.parse(buffer.slice('data: '.length, end)) as object;
          buffer = buffer.slice(end + 2);
          ws.send(JSON.stringify({ ...event, request_id: message.request_id, seq: ++seq }));
        }
      }
    }
  });
});

// A signal ends the process normally (so that `node --cpu-prof` writes its profile).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));

server.listen(Number(process.env.RELAY_PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
});
