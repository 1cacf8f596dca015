import { once } from 'node:events';
import { createConnection } from 'node:net';

/**
 * Sends `request` as written over a bare socket (a Host header no client
 * library would send, say) and reads one response: its status, head and body
 * (by content-length, or to the end of the connection).
 */
export async function rawRequest(gatewayUrl: string, request: string): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(gatewayUrl);
  const socket = createConnection({ host: hostname, port: Number(port) });
  try {
    let bytes = Buffer.alloc(0);
    let ended = false;
    socket.on('data', (chunk: Buffer) => (bytes = Buffer.concat([bytes, chunk])));
    const end = once(socket, 'end').then(() => (ended = true));
    await once(socket, 'connect');
    socket.write(request, 'latin1');
    const complete = () => {
      const headEnd = bytes.indexOf('\r\n\r\n');
      if (headEnd < 0) return false;
      const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(0, headEnd).toString('latin1'))?.[1];
      return length !== undefined && bytes.length >= headEnd + 4 + Number(length);
    };
    while (!complete() && !ended) await Promise.race([once(socket, 'data'), end]);
    const headEnd = bytes.indexOf('\r\n\r\n');
    const head = bytes.subarray(0, headEnd < 0 ? bytes.length : headEnd).toString('latin1');
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: headEnd < 0 ? '' : bytes.subarray(headEnd + 4).toString('utf8') };
  } finally {
    socket.destroy();
  }
}
