/**
 * What the gateway needs of an accepted WebSocket. Each runtime adapter
 * (runtime/node, runtime/deno) implements it over its own socket type.
 */
export interface ClientSocket {
  send(text: string): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Drops the connection without a handshake (the peer is gone or ignores us). Deno cannot: its adapter starts a close and reports the socket closed at once. */
  terminate(): void;
  /** Bytes queued by the gateway and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Sends a WebSocket ping; absent where the runtime checks liveness itself (Deno's `idleTimeout`). */
  ping?(): void;
  /**
   * Holds the frames sent until `uncork`, then writes them in one system
   * call (one wake-up of the client instead of one per frame). Calls nest.
   * Absent where the runtime writes frames itself (Deno).
   */
  cork?(): void;
  uncork?(): void;
}

/**
 * What a runtime adapter reports about one accepted socket, in order: `open`
 * once, then any `message`/`pong`, then `close` once. One object per socket
 * with methods on its prototype: an idle socket costs no closures.
 */
export interface SocketHandler {
  open(socket: ClientSocket): void;
  /** A whole message: text as a string, binary as bytes. */
  message(data: string | ArrayBuffer | Uint8Array): void;
  /** `byGateway`: the runtime closed it for the gateway (a frame it refused, its liveness check), not the client. */
  close(code: number, reason: string, byGateway?: boolean): void;
  pong(): void;
  /** A socket-level error; `close` follows. */
  error(error: unknown): void;
}
