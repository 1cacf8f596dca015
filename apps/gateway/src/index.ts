// The gateway as a library: build it from a config and a runtime's pieces, serve it yourself.
export { createApp, type AppDeps } from './app.ts';
export { createGateway, type Gateway, type RuntimePieces } from './gateway.ts';
export { parseConfig, ConfigError, CONFIG_ENV_NAMES, type GatewayConfig } from './config.ts';
export { GatewayError, toErrorFrame, toHttpResponse } from './errors.ts';
export { createAuthenticator } from './auth/authenticate.ts';
export { mintClientToken } from './auth/mint-token.ts';
export type { ClientSocket, SocketHandler } from './session/client-socket.ts';
export type { Upgrade } from './http/ws-route.ts';
