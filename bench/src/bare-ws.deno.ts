/**
 * BARE WebSocket server on Deno: `Deno.upgradeWebSocket`, accepting and
 * holding sockets, nothing else. The runtime's own floor per idle socket.
 * Run with `deno run --allow-net=127.0.0.1 bare-ws.deno.ts`.
 */
const controller = new AbortController();
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    signal: controller.signal,
    onListen: ({ port }) => console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}`, runtime: 'deno' })),
  },
  (request) => {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('ok');
    const { response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    return response;
  },
);
const stop = () => {
  controller.abort();
  setTimeout(() => Deno.exit(0), 500);
};
Deno.addSignalListener('SIGTERM', stop);
Deno.addSignalListener('SIGINT', stop);
