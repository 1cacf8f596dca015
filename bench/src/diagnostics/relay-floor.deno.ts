/**
 * The smallest relay Deno can do, no gateway code: a WebSocket message POSTs
 * to the agent with fetch, and each SSE event's data goes back as one frame
 * (with `seq` and `request_id`). The floor for the gateway on Deno: run
 * latency-timeline.ts against it and against the gateway.
 *
 *   AGENT=http://127.0.0.1:PORT deno run --allow-net=127.0.0.1 --allow-env=AGENT,RELAY_PORT src/diagnostics/relay-floor.deno.ts
 *
 * `pnpm bench --floor` measures it beside the gateway (it answers `GET /health`).
 */
const agent = Deno.env.get('AGENT') ?? 'http://127.0.0.1:8001';
const port = Number(Deno.env.get('RELAY_PORT') ?? 0);

Deno.serve({ hostname: '127.0.0.1', port, onListen: ({ port }) => console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` })) }, (request) => {
  if (new URL(request.url).pathname === '/health') return new Response('ok');
  const { socket, response } = Deno.upgradeWebSocket(request);
  let seq = 0;
  socket.onopen = () => socket.send(JSON.stringify({ type: 'session_started', seq: ++seq }));
  socket.onmessage = async (event) => {
    const message = JSON.parse(event.data as string);
    const res = await fetch(`${agent}/agent/message/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ session_id: 'floor', request_id: message.request_id, message }),
    });
    // Into one buffer of ours (BYOB), as the gateway reads: Deno's default reader
    // allocates per chunk, which makes V8 run frequent mark-compacts under load.
    const reader = res.body!.getReader({ mode: 'byob' });
    let bytes = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read(bytes);
      if (done) break;
      bytes = new Uint8Array(value.buffer);
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = JSON.parse(buffer.slice('data: '.length, end));
        buffer = buffer.slice(end + 2);
        socket.send(JSON.stringify({ ...data, request_id: message.request_id, seq: ++seq }));
      }
    }
  };
  return response;
});
