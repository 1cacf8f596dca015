import type { Context } from 'hono';
import { verify } from 'hono/jwt';
import type { GatewayConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import type { Authenticate } from '../http/ws-route.ts';

/** A request header as the client sent it: every value, joined with ", " when it was repeated. */
export type HeaderOf = (c: Context, name: string) => string | undefined;

const fetchHeader: HeaderOf = (c, name) => c.req.raw.headers.get(name) ?? undefined;

/**
 * The token of a request (§9): an `Authorization: Bearer …` header wins over the
 * `access_token` query parameter, so a Bearer header that does not hold exactly
 * one token (`Bearer`, `Bearer a b`, two headers) is refused, not passed over
 * for the query. A header of another scheme is not a client token.
 */
function tokenOf(c: Context, header: HeaderOf = fetchHeader): { token: string } | { malformed: string } | undefined {
  const authorization = header(c, 'authorization');
  // Any Bearer among the values (`, Bearer x` when an empty header came first) makes it a Bearer header.
  if (authorization !== undefined && /(?:^|,)[ \t]*Bearer(?![^ \t,])/i.test(authorization)) {
    const token = /^[ \t]*Bearer[ \t]+([^\s,]+)[ \t]*$/i.exec(authorization)?.[1];
    return token === undefined ? { malformed: 'the Authorization header must be one Bearer token' } : { token };
  }
  const token = queryParam(c.req.url, 'access_token');
  return token === undefined || token === '' ? undefined : { token };
}

/** A query parameter of a URL as `URLSearchParams` reads it, without parsing the rest of the URL (its host may not parse). */
function queryParam(url: string, name: string): string | undefined {
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  const hash = url.indexOf('#', start);
  return new URLSearchParams(url.slice(start + 1, hash < 0 ? undefined : hash)).get(name) ?? undefined;
}

/**
 * A JWS signature in its one canonical spelling: unpadded base64url whose
 * unused bits are zero. Decoders accept `…=` and a last character that
 * differs only in those bits, which would make several strings one credential.
 */
function hasCanonicalSignature(token: string): boolean {
  const signature = token.slice(token.lastIndexOf('.') + 1);
  if (!/^[A-Za-z0-9_-]*$/.test(signature) || signature.length % 4 === 1) return false;
  const bytes = atob(signature.replace(/-/g, '+').replace(/_/g, '/'));
  return btoa(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_') === signature;
}

const unauthorized = (message: string) => new GatewayError('unauthorized', message);

/**
 * Client authentication and origin checks (protocol.md §9), each on when its
 * variable is set. Returns undefined when neither is: the gateway is open.
 * `header` reads a header as sent, where the runtime's Request does not keep
 * it so (node-server drops empty values and all but the first of repeated ones).
 */
export function createAuthenticator(
  config: Pick<GatewayConfig, 'clientJwtSecret' | 'allowedOrigins'>,
  header: HeaderOf = fetchHeader,
): Authenticate | undefined {
  const { clientJwtSecret: secret, allowedOrigins } = config;
  if (secret === undefined && allowedOrigins === undefined) return undefined;
  const origins = allowedOrigins === undefined ? undefined : new Set(allowedOrigins);

  return async (c, sessionId) => {
    if (origins !== undefined) {
      const origin = header(c, 'origin');
      // Requests without Origin are IDE clients that are not browsers: they pass. An empty one is not listed.
      if (origin !== undefined && !origins.has(origin)) return new GatewayError('forbidden', 'this Origin is not allowed');
    }
    if (secret === undefined) return undefined;
    const found = tokenOf(c, header);
    if (found === undefined) return unauthorized('a client token is required (Authorization: Bearer … or ?access_token=…)');
    if ('malformed' in found) return unauthorized(found.malformed);
    const { token } = found;
    let payload: Record<string, unknown>;
    try {
      if (!hasCanonicalSignature(token)) throw new Error('non-canonical signature');
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
