import { z } from 'zod';

/** The closed set of error codes the gateway itself produces (protocol.md §5), with their `retryable`. */
export const GATEWAY_ERROR_RETRYABLE = {
  invalid_session_id: false,
  unauthorized: false,
  forbidden: false,
  server_busy: true,
  shutting_down: true,
  invalid_json: false,
  invalid_message: false,
  queue_full: true,
  duplicate_tool_result: false,
  agent_unavailable: true,
  agent_auth_failed: false,
  agent_rejected: false,
  agent_rate_limited: true,
  agent_timeout: true,
  agent_protocol_error: false,
  agent_stream_interrupted: true,
  internal_error: true,
} as const satisfies Record<string, boolean>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_RETRYABLE;
export const GATEWAY_ERROR_CODES = Object.keys(GATEWAY_ERROR_RETRYABLE) as [GatewayErrorCode, ...GatewayErrorCode[]];

export const GatewayErrorCodeSchema = z
  .enum(GATEWAY_ERROR_CODES)
  .meta({ id: 'GatewayErrorCode', description: 'The closed set of error codes made by the gateway.' });

/** HTTP status of the errors that refuse a WebSocket upgrade (protocol.md §1). */
export const UPGRADE_ERROR_STATUS = {
  invalid_session_id: 400,
  unauthorized: 401,
  forbidden: 403,
  server_busy: 503,
  shutting_down: 503,
} as const satisfies Partial<Record<GatewayErrorCode, number>>;
export type UpgradeErrorCode = keyof typeof UPGRADE_ERROR_STATUS;
