import WebSocket from 'ws';
import { epochNow } from './clock.ts';
import { userMessageFrame, type Scenario } from './scenario.ts';
import { Failures, TurnCheck, type LatencySink } from './turn-check.ts';

/**
 * One IDE session through the gateway: checks `seq` (from 1, +1 per frame),
 * that every frame belongs to the turn in flight, and the turn itself.
 */
export class WsSession {
  readonly failures = new Failures();
  #seq = 0;
  #turn: { check: TurnCheck; resolve: () => void } | undefined;
  #closed: Promise<void>;

  private constructor(
    readonly sessionId: string,
    private readonly socket: WebSocket,
  ) {
    this.#closed = new Promise((resolve) =>
      socket.once('close', (code: number, reason: Buffer) => {
        // A turn in flight ends now, as a failure: it is not left to wait out its timeout.
        this.#endTurn(`the socket closed (${code} ${String(reason)}) before the terminal frame`);
        resolve();
      }),
    );
  }

  /** Opens the socket and waits for `session_started`. */
  static open(baseUrl: string, sessionId: string, timeoutMs: number): Promise<WsSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${baseUrl}/ws/${sessionId}`, { perMessageDeflate: false });
      const session = new WsSession(sessionId, socket);
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`${sessionId}: no session_started within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        socket.terminate();
        reject(new Error(`${sessionId}: upgrade refused with ${res.statusCode}`));
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('message', (data) => {
        clearTimeout(timer);
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        session.#checkSeq(frame);
        if (frame.type !== 'session_started') session.failures.add(`${sessionId}: first frame is ${String(frame.type)}`);
        socket.on('message', (more) => session.#onMessage(more as Buffer));
        resolve(session);
      });
    });
  }

  /** Sends a `user_message` and resolves with its check once the terminal frame arrived (or the time is up). */
  turn(requestId: string, scenario: Scenario, timeoutMs: number, latencies?: LatencySink): Promise<{ check: TurnCheck; sentAt: number }> {
    const check = new TurnCheck(requestId, scenario, latencies);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        check.failures.add(`${requestId}: no terminal frame within ${timeoutMs} ms`);
        this.#turn = undefined;
        done();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        check.finish();
        this.failures.merge(check.failures);
        resolve({ check, sentAt });
      };
      this.#turn = { check, resolve: done };
      const sentAt = epochNow();
      if (this.socket.readyState !== WebSocket.OPEN) return this.#endTurn('the socket is closed');
      this.socket.send(userMessageFrame(requestId, scenario));
    });
  }

  /** Ends the turn in flight, if any, with `why` as its failure. */
  #endTurn(why: string): void {
    const turn = this.#turn;
    if (turn === undefined) return;
    this.#turn = undefined;
    turn.check.failures.add(`${turn.check.requestId}: ${why}`);
    turn.resolve();
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    const timer = setTimeout(() => this.socket.terminate(), 5000);
    return this.#closed.finally(() => clearTimeout(timer));
  }

  #checkSeq(frame: Record<string, unknown>): void {
    const expected = this.#seq + 1;
    if (frame.seq !== expected) this.failures.add(`${this.sessionId}: seq ${String(frame.seq)} where ${expected} was due`);
    this.#seq = typeof frame.seq === 'number' ? frame.seq : expected;
  }

  #onMessage(data: Buffer): void {
    const receivedAt = epochNow();
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    } catch {
      return this.failures.add(`${this.sessionId}: a frame that is not JSON`);
    }
    this.#checkSeq(frame);
    const turn = this.#turn;
    if (turn === undefined) return this.failures.add(`${this.sessionId}: a ${String(frame.type)} frame outside a turn`);
    if (frame.request_id !== turn.check.requestId) {
      return this.failures.add(`${this.sessionId}: a frame for ${String(frame.request_id)} during ${turn.check.requestId}`);
    }
    turn.check.event(frame, receivedAt);
    if (turn.check.finished) {
      this.#turn = undefined;
      turn.resolve();
    }
  }
}
