import type { Context } from 'hono';
import { verify } from 'hono/jwt';
import type { GatewayConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import type { Authenticate } from '../http/ws-route.ts';

/** The token of a request: `Authorization: Bearer …` wins over the `access_token` query parameter (§9). */
export function tokenOf(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const bearer = header === undefined ? undefined : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
  if (bearer !== undefined) return bearer;
  const query = new URL(c.req.url).searchParams.get('access_token');
  return query === null || query === '' ? undefined : query;
}

const unauthorized = (message: string) => new GatewayError('unauthorized', message);

/**
 * Client authentication and origin checks (protocol.md §9), each on when its
 * variable is set. Returns undefined when neither is: the gateway is open.
 */
export function createAuthenticator(config: Pick<GatewayConfig, 'clientJwtSecret' | 'allowedOrigins'>): Authenticate | undefined {
  const { clientJwtSecret: secret, allowedOrigins } = config;
  if (secret === undefined && allowedOrigins === undefined) return undefined;
  const origins = allowedOrigins === undefined ? undefined : new Set(allowedOrigins);

  return async (c, sessionId) => {
    if (origins !== undefined) {
      const origin = c.req.header('origin');
      // Requests without Origin are IDE clients that are not browsers: they pass.
      if (origin !== undefined && !origins.has(origin)) return new GatewayError('forbidden', 'this Origin is not allowed');
    }
    if (secret === undefined) return undefined;
    const token = tokenOf(c);
    if (token === undefined) return unauthorized('a client token is required (Authorization: Bearer … or ?access_token=…)');
    let payload: Record<string, unknown>;
    try {
      // HS256 only: the header's alg must match, so `none` and others are refused. An `iat` a
      // little ahead of this clock (the minting machine's runs fast) is no reason to refuse;
      // `exp` and `nbf` are still checked.
      payload = (await verify(token, secret, { alg: 'HS256', iat: false })) as Record<string, unknown>;
    } catch {
      return unauthorized('the client token is malformed, badly signed or expired');
    }
    if (typeof payload.exp !== 'number') return unauthorized('the client token has no exp');
    if (typeof payload.sid !== 'string') return unauthorized('the client token has no string sid');
    if (payload.sid !== sessionId && payload.sid !== '*') return new GatewayError('forbidden', 'the client token is for another session');
    return undefined;
  };
}
