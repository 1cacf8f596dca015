// `pnpm --filter @agent-gateway/gateway run token --sid S [--ttl 3600]`: prints a
// client token signed with GATEWAY__CLIENT_JWT_SECRET, for IDE clients and tests.
import { parseArgs } from 'node:util';
import { mintClientToken } from '../src/auth/mint-token.ts';
import { ConfigError, parseConfig } from '../src/config.ts';

const usage = 'usage: pnpm --filter @agent-gateway/gateway run token --sid <session_id|*> [--ttl <seconds, default 3600>]';

try {
  const { values } = parseArgs({ options: { sid: { type: 'string' }, ttl: { type: 'string', default: '3600' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!values.sid) throw new Error(`--sid is required\n${usage}`);
  if (!/^(\*|[A-Za-z0-9._:-]{1,128})$/.test(values.sid)) throw new Error('--sid must be a session id ([A-Za-z0-9._:-], 1-128 chars) or *');
  const ttl = Number(values.ttl);
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a whole number of seconds > 0');
  const config = parseConfig(process.env);
  if (config.clientJwtSecret === undefined) throw new Error('GATEWAY__CLIENT_JWT_SECRET is not set: there is no secret to sign with');
  console.log(await mintClientToken(config.clientJwtSecret, values.sid, ttl));
} catch (error) {
  console.error(`token: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
