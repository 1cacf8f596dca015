import { sign } from 'hono/jwt';

/** Signs an HS256 client token for `sid` (a session id, or `*` for any) valid for `ttlSeconds`. */
export async function mintClientToken(secret: string, sid: string, ttlSeconds: number, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign({ sid, iat, exp: iat + ttlSeconds }, secret, 'HS256');
}
