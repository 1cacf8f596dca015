import {
  GATEWAY_ERROR_RETRYABLE,
  UPGRADE_ERROR_STATUS,
  type WSErrorResponse,
  type GatewayErrorCode,
  type UpgradeErrorCode,
} from '@agent-gateway/protocol';

export interface GatewayErrorOptions {
  details?: Record<string, unknown>;
  retryAfterMs?: number;
  cause?: unknown;
}

/** An error with a protocol error code. Turned into a frame or an HTTP response here, and nowhere else. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    // Fixed by the code (protocol.md §5): the schemas refuse any other.
    this.retryable = GATEWAY_ERROR_RETRYABLE[code];
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export const toGatewayError = (error: unknown): GatewayError =>
  error instanceof GatewayError
    ? error
    : new GatewayError('internal_error', 'internal error', { cause: error });

/** The body of a gateway `error` frame, without `seq` (the connection adds it). */
export function toErrorFrame(error: GatewayError, requestId?: string): WSErrorResponse {
  const frame: WSErrorResponse = {
    type: 'error',
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    source: 'gateway',
  };
  if (requestId !== undefined) frame.request_id = requestId;
  if (error.details !== undefined) frame.details = error.details;
  if (error.retryAfterMs !== undefined) frame.retry_after_ms = error.retryAfterMs;
  return frame;
}

/** The HTTP response refusing a WebSocket upgrade (protocol.md §1). */
export function toHttpResponse(error: GatewayError & { code: UpgradeErrorCode }): Response;
export function toHttpResponse(error: GatewayError, status: number): Response;
export function toHttpResponse(error: GatewayError, status?: number): Response {
  const httpStatus = status ?? UPGRADE_ERROR_STATUS[error.code as UpgradeErrorCode] ?? 500;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
  // RFC 9110 §15.5.2: a 401 says how to authenticate (RFC 6750 §3: a Bearer token).
  if (httpStatus === 401) headers['www-authenticate'] = 'Bearer realm="agent-gateway"';
  return new Response(JSON.stringify(toErrorFrame(error)), { status: httpStatus, headers });
}
