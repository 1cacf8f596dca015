import { connect, type Socket } from 'node:net';

/** A response as it came off the socket. */
export interface RawResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** The body bytes (de-chunked when chunked). */
  body: Buffer;
  /** With chunked encoding: the chunks exactly as framed on the wire. */
  chunks: Buffer[];
  /** False when the connection closed before the body's end (no last chunk, content-length short). */
  complete: boolean;
}

/** One raw HTTP/1.1 connection, read byte for byte: no HTTP client library in between. */
export class RawConnection {
  readonly socket: Socket;
  private data = Buffer.alloc(0);
  private listeners = new Set<() => void>();
  /** Resolves when the socket closes, with the error if it was one (ECONNRESET…). */
  readonly closed: Promise<{ error?: Error }>;
  closedAt: number | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    let error: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.notify();
    });
    socket.on('error', (e) => {
      error = e;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.closedAt = performance.timeOrigin + performance.now();
        resolve(error ? { error } : {});
        this.notify();
      });
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get received(): Buffer {
    return this.data;
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a `POST` with a JSON body and `connection: close`. */
  post(path: string, body: string, headers: Record<string, string> = {}): void {
    const lines = [
      `POST ${path} HTTP/1.1`,
      'host: mock-agent',
      'content-type: application/json',
      'accept: text/event-stream',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    this.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  /** Resolves once the received bytes (as latin1, byte for char) satisfy `predicate`, or the socket closed. */
  waitForBytes(predicate: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const text = this.data.toString('latin1');
        let matched = false;
        try {
          matched = predicate(text);
        } catch {
          // Not enough bytes yet for the predicate to look at.
        }
        if (matched) {
          done();
          resolve(text);
        } else if (this.isClosed) {
          done();
          reject(new Error(`connection closed before the expected bytes; got ${JSON.stringify(text)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for bytes; got ${JSON.stringify(this.data.toString('latin1'))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify() {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Parses a response from raw bytes; throws when the head is incomplete. */
export function parseRawResponse(raw: Buffer): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`no complete response head in ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine, ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = [];
    let offset = 0;
    let complete = false;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', offset);
      if (lineEnd < 0) break;
      const size = parseInt(rest.subarray(offset, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        complete = true;
        break;
      }
      const start = lineEnd + 2;
      if (start + size + 2 > rest.length) break;
      chunks.push(rest.subarray(start, start + size));
      offset = start + size + 2;
    }
    return { status, headers, body: Buffer.concat(chunks), chunks, complete };
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return { status, headers, body: rest.subarray(0, n), chunks: [], complete: rest.length >= n };
  }
  return { status, headers, body: rest, chunks: [], complete: true };
}

/** POSTs `body` on a fresh connection and reads everything until the server closes it. */
export async function rawPost(
  url: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse & { closeError?: Error }> {
  const connection = await RawConnection.open(url);
  connection.post(path, body, headers);
  const { error } = await connection.closed;
  return { ...parseRawResponse(connection.received), ...(error ? { closeError: error } : {}) };
}
