import { z } from 'zod';
import { DEFAULT_LIMITS } from '@agent-gateway/protocol';
import { redactUrl } from './observability/logger.ts';

// One schema for every GATEWAY__* variable (protocol.md §10); defaults live here only.

// Empty is unset (§10); a value of spaces is not empty, and is refused where it means nothing.
const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const NOT_BLANK = 'must not be blank (leave it empty or unset for the default)';

/** The longest delay a runtime's timer takes (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

const seconds = (opts: { allowZero: boolean }) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      // Any decimal form of a fraction a person writes (`1.5`, `.5`, `1.`), no exponent, no sign.
      .regex(/^(\d+\.?\d*|\.\d+)$/, `must be a number of seconds ${opts.allowZero ? '>= 0' : '> 0'}, e.g. 10 or 1.5`)
      .transform(Number)
      .refine((n) => Number.isFinite(n) && (opts.allowZero ? n >= 0 : n > 0), opts.allowZero ? 'must be >= 0' : 'must be > 0')
      .refine((n) => n <= MAX_SECONDS, `must be at most ${MAX_SECONDS} (24.8 days), the longest a timer can wait`)
      .optional(),
  );

const integer = (opts: { min: number; max?: number }) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .refine((n) => Number.isSafeInteger(n) && n >= opts.min && (opts.max === undefined || n <= opts.max), {
        message: `must be an integer >= ${opts.min} and <= ${opts.max ?? Number.MAX_SAFE_INTEGER}`,
      })
      .optional(),
  );


/**
 * A path on the agent, appended to `GATEWAY__AGENT_URL` (spaces around it are a typing slip, not
 * part of it): a URL given here would become a path that is never there.
 */
const agentPath = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .min(1, NOT_BLANK)
      .refine((value) => !value.includes('://') && !value.startsWith('//'), 'must be a path on the agent (such as /health), not a URL')
      .refine((value) => !/\s/.test(value), 'must not contain spaces')
      .optional(),
  );

/** A listen address; an IPv6 one may be written as in a URL (`[::1]`). */
const host = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .min(1, NOT_BLANK)
      .transform((value) => (/^\[.*\]$/.test(value) ? value.slice(1, -1) : value))
      .optional(),
  );

/** A secret, used as given: only a value of nothing but spaces is refused (it would look set and guard nothing). */
const secret = () => z.preprocess(emptyToUndefined, z.string().refine((value) => value.trim() !== '', NOT_BLANK).optional());

/** Sent as an HTTP header value: printable ASCII, no space at either end. */
const headerValue = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((value) => value.trim() !== '', NOT_BLANK)
      .refine((value) => value.trim() === '' || /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value), 'must be printable ASCII without spaces at either end (it is sent as an HTTP header)')
      .optional(),
  );

/** A comma-separated list: set, it must name at least one entry (`" , "` is a mistake, not "off"). */
const list = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
      .refine((entries) => entries.length > 0, 'must list at least one entry, separated by commas')
      .optional(),
  );

const httpUrl = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .refine((value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL')
      // It is logged at start; Deno's fetch would send them as Basic auth, Node's not at all.
      .refine((value) => {
        if (!URL.canParse(value)) return true; // reported above
        const url = new URL(value);
        return url.username === '' && url.password === '';
      }, 'must not carry credentials (user:password@); the agent is authenticated with GATEWAY__INTERNAL_API_KEY')
      // The agent's paths are appended to it (§3): a query or fragment would swallow them.
      .refine((value) => !/[?#]/.test(value), 'must not have a query (?) or fragment (#): the agent paths are appended to it')
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
  );

const LOG_LEVELS = { debug: 'debug', info: 'info', warning: 'warning', warn: 'warning', error: 'error' } as const;
export type LogLevelName = (typeof LOG_LEVELS)[keyof typeof LOG_LEVELS];

const logLevel = () =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .transform((value) => value.toLowerCase())
      .refine((value) => Object.hasOwn(LOG_LEVELS, value), 'must be one of debug, info, warning (warn), error')
      .transform((value) => LOG_LEVELS[value as keyof typeof LOG_LEVELS])
      .optional(),
  );

export const ConfigEnvSchema = z.object({
  GATEWAY__HOST: host(),
  GATEWAY__PORT: integer({ min: 0, max: 65535 }),
  GATEWAY__AGENT_URL: httpUrl(),
  GATEWAY__AGENT_HEALTH_PATH: agentPath(),
  GATEWAY__INTERNAL_API_KEY: headerValue(),
  GATEWAY__LOG_LEVEL: logLevel(),
  GATEWAY__REQUEST_TIMEOUT: seconds({ allowZero: false }),
  GATEWAY__AGENT_STREAM_TIMEOUT: seconds({ allowZero: false }),
  GATEWAY__TOKEN_BUFFER_FLUSH_MS: integer({ min: 0, max: MAX_TIMER_MS }),
  GATEWAY__TOKEN_BUFFER_MAX_CHARS: integer({ min: 1 }),
  GATEWAY__MAX_QUEUED_MESSAGES: integer({ min: 1 }),
  GATEWAY__MAX_MESSAGE_BYTES: integer({ min: 1 }),
  GATEWAY__MAX_EVENT_BYTES: integer({ min: 1 }),
  GATEWAY__MAX_BUFFERED_BYTES: integer({ min: 1 }),
  GATEWAY__SLOW_CLIENT_TIMEOUT: seconds({ allowZero: false }),
  GATEWAY__WS_PING_INTERVAL: seconds({ allowZero: true }),
  GATEWAY__MAX_CONNECTIONS: integer({ min: 1 }),
  GATEWAY__SHUTDOWN_GRACE: seconds({ allowZero: true }),
  GATEWAY__CLIENT_JWT_SECRET: secret(),
  GATEWAY__ALLOWED_ORIGINS: list(),
});

/** The variable names the gateway reads (Deno's `--allow-env` lists exactly these). */
export const CONFIG_ENV_NAMES = Object.keys(ConfigEnvSchema.shape) as (keyof typeof ConfigEnvSchema.shape)[];

export interface GatewayConfig {
  host: string;
  port: number;
  agentUrl: string;
  agentHealthPath: string;
  internalApiKey: string | undefined;
  logLevel: LogLevelName;
  requestTimeoutMs: number;
  agentStreamTimeoutMs: number;
  tokenBufferFlushMs: number;
  tokenBufferMaxChars: number;
  maxQueuedMessages: number;
  maxMessageBytes: number;
  maxEventBytes: number;
  maxBufferedBytes: number;
  slowClientTimeoutMs: number;
  wsPingIntervalMs: number;
  maxConnections: number;
  shutdownGraceMs: number;
  clientJwtSecret: string | undefined;
  allowedOrigins: string[] | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
  }
}

/** Seconds to milliseconds; a positive value never becomes 0 ms (which would mean "off" or "at once"). */
const ms = (s: number) => (s > 0 ? Math.max(1, Math.round(s * 1000)) : 0);

/** A value as it may be shown: the credentials of a URL (`scheme://user:password@`) and its query or fragment left out. */
function shown(value: string | undefined): string | undefined {
  // Up to the last `@`: a password may hold an unescaped `#`, `/` or `?` (the URL then does not parse).
  const withoutUserinfo = value?.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/).*@/is, '$1[REDACTED]@');
  return withoutUserinfo === undefined || !/^\s*https?:\/\//i.test(withoutUserinfo) ? withoutUserinfo : redactUrl(withoutUserinfo);
}

/** Never repeated in a message (§1: no output ever contains the internal API key). */
const SECRET_NAMES = new Set(['GATEWAY__INTERNAL_API_KEY', 'GATEWAY__CLIENT_JWT_SECRET']);

const squeezed = (name: string) => name.toUpperCase().replace(/_/g, '');
const KNOWN_BY_SQUEEZED = new Map<string, string>(CONFIG_ENV_NAMES.map((name) => [squeezed(name), name]));

/**
 * Variables of the environment that look meant for the gateway but are not
 * its own, so are ignored: a `GATEWAY__` name it does not know, or one of its
 * names spelled with other underscores or case (`GATEWAY_PORT`,
 * `GATEWAY__LOGLEVEL`), with the name meant.
 */
export function unknownConfigNames(names: Iterable<string>): { name: string; meant?: string }[] {
  const known = new Set<string>(CONFIG_ENV_NAMES);
  const found: { name: string; meant?: string }[] = [];
  for (const name of names) {
    if (known.has(name) || !/^gateway_/i.test(name)) continue;
    const meant = KNOWN_BY_SQUEEZED.get(squeezed(name));
    if (meant !== undefined) found.push({ name, meant });
    else if (name.startsWith('GATEWAY__')) found.push({ name });
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Parses the environment (a plain record: `process.env`, or what Deno read). Throws `ConfigError` naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): GatewayConfig {
  const picked = Object.fromEntries(CONFIG_ENV_NAMES.map((name) => [name, env[name]]));
  // Node reads bytes that are not UTF-8 as U+FFFD (Deno refuses to read them): a value that
  // is not what the operator set, a secret above all, is refused on both.
  const notUtf8 = CONFIG_ENV_NAMES.filter((name) => picked[name]?.includes('\uFFFD'));
  if (notUtf8.length > 0) throw new ConfigError(notUtf8.map((variable) => ({ variable, message: 'is not valid UTF-8' })));
  const result = ConfigEnvSchema.safeParse(picked);
  if (!result.success) {
    // A secret's value is not repeated in another variable's message either (a value pasted
    // into the wrong variable, a key inside a URL): such a value is not shown at all.
    const secrets = [...SECRET_NAMES].map((name) => picked[name]).filter((value): value is string => value !== undefined && value !== '');
    const got = (value: string | undefined) =>
      value !== undefined && secrets.some((secret) => value.includes(secret)) ? 'its value is not shown: it may hold a secret of the gateway' : `got ${JSON.stringify(shown(value) ?? null)}`;
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: SECRET_NAMES.has(String(issue.path[0])) ? issue.message : `${issue.message} (${got(picked[String(issue.path[0])])})`,
      })),
    );
  }
  const e = result.data;
  const healthPath = e.GATEWAY__AGENT_HEALTH_PATH ?? '/health';
  return {
    host: e.GATEWAY__HOST ?? '0.0.0.0',
    port: e.GATEWAY__PORT ?? 8000,
    agentUrl: e.GATEWAY__AGENT_URL ?? 'http://127.0.0.1:8001',
    agentHealthPath: healthPath.startsWith('/') ? healthPath : `/${healthPath}`,
    internalApiKey: e.GATEWAY__INTERNAL_API_KEY,
    logLevel: e.GATEWAY__LOG_LEVEL ?? 'info',
    requestTimeoutMs: ms(e.GATEWAY__REQUEST_TIMEOUT ?? 10),
    agentStreamTimeoutMs: ms(e.GATEWAY__AGENT_STREAM_TIMEOUT ?? 60),
    tokenBufferFlushMs: e.GATEWAY__TOKEN_BUFFER_FLUSH_MS ?? 16,
    tokenBufferMaxChars: e.GATEWAY__TOKEN_BUFFER_MAX_CHARS ?? 512,
    maxQueuedMessages: e.GATEWAY__MAX_QUEUED_MESSAGES ?? DEFAULT_LIMITS.max_queued_messages,
    maxMessageBytes: e.GATEWAY__MAX_MESSAGE_BYTES ?? DEFAULT_LIMITS.max_message_bytes,
    maxEventBytes: e.GATEWAY__MAX_EVENT_BYTES ?? 8_388_608,
    maxBufferedBytes: e.GATEWAY__MAX_BUFFERED_BYTES ?? 1_048_576,
    slowClientTimeoutMs: ms(e.GATEWAY__SLOW_CLIENT_TIMEOUT ?? 30),
    wsPingIntervalMs: ms(e.GATEWAY__WS_PING_INTERVAL ?? 20),
    maxConnections: e.GATEWAY__MAX_CONNECTIONS ?? 10_000,
    shutdownGraceMs: ms(e.GATEWAY__SHUTDOWN_GRACE ?? 10),
    clientJwtSecret: e.GATEWAY__CLIENT_JWT_SECRET,
    allowedOrigins: e.GATEWAY__ALLOWED_ORIGINS,
  };
}
