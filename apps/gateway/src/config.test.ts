import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_NAMES, ConfigError, parseConfig, unknownConfigNames, type GatewayConfig } from './config.ts';

// protocol.md §10
const DEFAULTS: GatewayConfig = {
  host: '0.0.0.0',
  port: 8000,
  agentUrl: 'http://127.0.0.1:8001',
  agentHealthPath: '/health',
  internalApiKey: undefined,
  logLevel: 'info',
  requestTimeoutMs: 10_000,
  agentStreamTimeoutMs: 60_000,
  tokenBufferFlushMs: 16,
  tokenBufferMaxChars: 512,
  maxQueuedMessages: 16,
  maxMessageBytes: 1_048_576,
  maxEventBytes: 8_388_608,
  maxBufferedBytes: 1_048_576,
  slowClientTimeoutMs: 30_000,
  wsPingIntervalMs: 20_000,
  maxConnections: 10_000,
  shutdownGraceMs: 10_000,
  clientJwtSecret: undefined,
  allowedOrigins: undefined,
};

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

const NOT_A_NUMBER = ['abc', 'NaN', 'Infinity', '1O', '0x10', '10s', 'ten', ' ', '\t', '.', '1e3', '1..5', '+1'];
const NEGATIVE = ['-1', '-0.5'];
// Longer than a timer can wait (2^31 - 1 ms): it would fire at once.
const TOO_LONG = ['2147484', '3000000', '99999999999'];

// Every value here must be refused, with the variable named.
const BAD_VALUES: Record<string, string[]> = {
  // Seconds, > 0.
  GATEWAY__REQUEST_TIMEOUT: [...NOT_A_NUMBER, ...NEGATIVE, ...TOO_LONG, '0', '0.0'],
  GATEWAY__AGENT_STREAM_TIMEOUT: [...NOT_A_NUMBER, ...NEGATIVE, ...TOO_LONG, '0', '0.0'],
  GATEWAY__SLOW_CLIENT_TIMEOUT: [...NOT_A_NUMBER, ...NEGATIVE, ...TOO_LONG, '0', '0.0'],
  // Seconds, 0 allowed.
  GATEWAY__WS_PING_INTERVAL: [...NOT_A_NUMBER, ...NEGATIVE, ...TOO_LONG],
  GATEWAY__SHUTDOWN_GRACE: [...NOT_A_NUMBER, ...NEGATIVE, ...TOO_LONG],
  // Integers, 0 allowed.
  GATEWAY__PORT: [...NOT_A_NUMBER, ...NEGATIVE, '1.5', '8000.0', '65536', '99999'],
  GATEWAY__TOKEN_BUFFER_FLUSH_MS: [...NOT_A_NUMBER, ...NEGATIVE, '1.5', '16ms', '2147483648'],
  // Integers ≥ 1.
  GATEWAY__TOKEN_BUFFER_MAX_CHARS: [...NOT_A_NUMBER, ...NEGATIVE, '0', '1.5', '99999999999999999999'],
  GATEWAY__MAX_QUEUED_MESSAGES: [...NOT_A_NUMBER, ...NEGATIVE, '0', '2.5'],
  GATEWAY__MAX_MESSAGE_BYTES: [...NOT_A_NUMBER, ...NEGATIVE, '0', '1024.5', '1MB'],
  GATEWAY__MAX_EVENT_BYTES: [...NOT_A_NUMBER, ...NEGATIVE, '0', '0.5'],
  GATEWAY__MAX_BUFFERED_BYTES: [...NOT_A_NUMBER, ...NEGATIVE, '0', '1.0'],
  GATEWAY__MAX_CONNECTIONS: [...NOT_A_NUMBER, ...NEGATIVE, '0', '10.5'],
  GATEWAY__AGENT_URL: [
    'ftp://agent:21', 'ws://127.0.0.1:8001', 'file:///tmp/agent', 'not a url', '127.0.0.1:8001', 'localhost', ' ',
    'http://user:secret@agent:8001', 'http://user@agent:8001',
    // The agent's paths are appended: a query or fragment would swallow them.
    'http://agent:8001/?x=1', 'http://agent:8001#frag', 'http://agent:8001/base?',
  ],
  GATEWAY__LOG_LEVEL: ['trace', 'verbose', 'warnings', 'fatal', 'critical', ' '],
  // Set, it turns the origin check on: a list of no origin is a mistake, not "off".
  GATEWAY__ALLOWED_ORIGINS: [',', ' , ', ',,,', ' ', '\t'],
  // Set but blank: it would look configured and do nothing (an empty value is unset).
  GATEWAY__HOST: [' ', '\t'],
  // Appended to the agent's URL: a URL here would be a path that is never there.
  GATEWAY__AGENT_HEALTH_PATH: ['  ', 'http://other:8001/health', '//other/health', '/he alth'],
  // A blank secret would turn client authentication off while looking set.
  GATEWAY__CLIENT_JWT_SECRET: [' ', '\t', '  \n'],
  // Sent as a header: what cannot be one would fail every turn as agent_unavailable.
  GATEWAY__INTERNAL_API_KEY: [' ', 'ключ', 'k\u0001ey', 'k\ney', ' key', 'key ', '€'],
};

const SECONDS: [string, keyof GatewayConfig][] = [
  ['GATEWAY__REQUEST_TIMEOUT', 'requestTimeoutMs'],
  ['GATEWAY__AGENT_STREAM_TIMEOUT', 'agentStreamTimeoutMs'],
  ['GATEWAY__SLOW_CLIENT_TIMEOUT', 'slowClientTimeoutMs'],
  ['GATEWAY__WS_PING_INTERVAL', 'wsPingIntervalMs'],
  ['GATEWAY__SHUTDOWN_GRACE', 'shutdownGraceMs'],
];

describe('parseConfig', () => {
  it('uses the defaults of protocol.md §10 for an empty environment', () => {
    expect(parseConfig({})).toEqual(DEFAULTS);
  });

  it('ignores variables it does not own', () => {
    expect(parseConfig({ PATH: '/bin', GATEWAY_PORT: 'x', GATEWAY__UNKNOWN: 'nope', PORT: 'abc' })).toEqual(DEFAULTS);
  });

  it('the tables below cover every variable it reads', () => {
    expect(Object.keys(BAD_VALUES).sort()).toEqual([...CONFIG_ENV_NAMES].sort());
  });

  describe.each(Object.entries(BAD_VALUES))('%s', (variable, values) => {
    it.each(values)('refuses %j with a ConfigError naming the variable', (value) => {
      const error = configError({ [variable]: value });
      expect(error.message).toContain(variable);
      expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    });
  });

  it('refuses an agent URL with credentials without repeating them', () => {
    for (const value of ['http://user:s3cret@agent:8001', 'ftp://user:s3cret@agent', 'http://user:s3#cr/et@agent:8001']) {
      const error = configError({ GATEWAY__AGENT_URL: value });
      expect(error.message).toContain('GATEWAY__AGENT_URL');
      expect(error.message).not.toContain('s3cret');
      expect(error.message).toContain('[REDACTED]@agent');
    }
  });

  it('refuses a value Node read from bytes that are not UTF-8 (U+FFFD), as Deno does', () => {
    const error = configError({ GATEWAY__CLIENT_JWT_SECRET: 's3\uFFFDcret' });
    expect(error.message).toBe('invalid configuration: GATEWAY__CLIENT_JWT_SECRET is not valid UTF-8');
  });

  it('shows a refused agent URL without its query or fragment, where a key may sit', () => {
    const error = configError({ GATEWAY__AGENT_URL: 'http://agent:8001/?key=s3cret#frag' });
    expect(error.message).toContain('GATEWAY__AGENT_URL');
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain('"http://agent:8001/?[REDACTED]#[REDACTED]"');
  });

  it('never repeats a refused secret', () => {
    for (const [variable, value] of [['GATEWAY__INTERNAL_API_KEY', 'ключ-sekret'], ['GATEWAY__INTERNAL_API_KEY', ' sekret'], ['GATEWAY__CLIENT_JWT_SECRET', '  \t  ']]) {
      const error = configError({ [variable!]: value! });
      expect(error.message).toContain(variable);
      expect(error.message).not.toContain(JSON.stringify(value));
      expect(error.message).not.toContain('sekret');
    }
  });

  it('does not repeat a secret that stands in another variable\'s refused value', () => {
    const key = 'TheInternalKey0123456789';
    const secret = 'jwt-secret-0123456789-0123456789';
    const error = configError({
      GATEWAY__INTERNAL_API_KEY: key,
      GATEWAY__CLIENT_JWT_SECRET: secret,
      GATEWAY__LOG_LEVEL: key,
      GATEWAY__MAX_CONNECTIONS: secret,
      GATEWAY__AGENT_URL: `ftp://agent/${key}`,
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['GATEWAY__AGENT_URL', 'GATEWAY__LOG_LEVEL', 'GATEWAY__MAX_CONNECTIONS']);
    expect(error.message).not.toContain(key);
    expect(error.message).not.toContain(secret);
    for (const problem of error.problems) expect(problem.message).toMatch(/\(its value is not shown: it may hold a secret of the gateway\)$/);
  });

  it('shows nothing of a value that holds a secret, however short the secret (it could be part of the URL\'s scheme)', () => {
    const error = configError({ GATEWAY__INTERNAL_API_KEY: 'ps', GATEWAY__AGENT_URL: 'https://user:hunter2@agent:8001/x?token=abc' });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('token=abc');
    expect(error.message).toContain('GATEWAY__AGENT_URL');
  });

  it('names every bad variable when there are several', () => {
    const error = configError({
      GATEWAY__PORT: 'abc',
      GATEWAY__MAX_EVENT_BYTES: '0',
      GATEWAY__LOG_LEVEL: 'loud',
      GATEWAY__HOST: 'fine',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'GATEWAY__LOG_LEVEL',
      'GATEWAY__MAX_EVENT_BYTES',
      'GATEWAY__PORT',
    ]);
    for (const variable of ['GATEWAY__PORT', 'GATEWAY__MAX_EVENT_BYTES', 'GATEWAY__LOG_LEVEL']) {
      expect(error.message).toContain(variable);
    }
  });

  it.each(CONFIG_ENV_NAMES)('treats an empty %s as unset', (variable) => {
    expect(parseConfig({ [variable]: '' })).toEqual(DEFAULTS);
  });

  it.each(SECONDS)('%s accepts fractions of a second', (variable, key) => {
    expect(parseConfig({ [variable]: '1.5' })[key]).toBe(1500);
    expect(parseConfig({ [variable]: '0.25' })[key]).toBe(250);
    expect(parseConfig({ [variable]: '3' })[key]).toBe(3000);
    expect(parseConfig({ [variable]: '.5' })[key]).toBe(500);
    expect(parseConfig({ [variable]: '2.' })[key]).toBe(2000);
  });

  // Protocol.md §10: durations are > 0 except where 0 has a meaning ("close at once",
  // "off"). A positive value that becomes 0 ms would silently take that meaning
  // (a 0 ms ping interval turns pings off), so it must be refused or kept above 0.
  it.each(SECONDS)('%s never turns a positive number of seconds into 0 ms', (variable, key) => {
    let result: number | undefined;
    try {
      result = parseConfig({ [variable]: '0.0004' })[key] as number;
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(variable);
      return;
    }
    expect(result).toBeGreaterThan(0);
  });

  it.each([
    ['GATEWAY__SHUTDOWN_GRACE', 'shutdownGraceMs'],
    ['GATEWAY__WS_PING_INTERVAL', 'wsPingIntervalMs'],
    ['GATEWAY__TOKEN_BUFFER_FLUSH_MS', 'tokenBufferFlushMs'],
    ['GATEWAY__PORT', 'port'],
  ] as const)('allows 0 for %s', (variable, key) => {
    expect(parseConfig({ [variable]: '0' })[key]).toBe(0);
  });

  it('reads integers', () => {
    const config = parseConfig({
      GATEWAY__PORT: '65535',
      GATEWAY__TOKEN_BUFFER_FLUSH_MS: '5',
      GATEWAY__TOKEN_BUFFER_MAX_CHARS: '1',
      GATEWAY__MAX_QUEUED_MESSAGES: '3',
      GATEWAY__MAX_MESSAGE_BYTES: '2048',
      GATEWAY__MAX_EVENT_BYTES: '4096',
      GATEWAY__MAX_BUFFERED_BYTES: '8192',
      GATEWAY__MAX_CONNECTIONS: '7',
    });
    expect(config).toMatchObject({
      port: 65535,
      tokenBufferFlushMs: 5,
      tokenBufferMaxChars: 1,
      maxQueuedMessages: 3,
      maxMessageBytes: 2048,
      maxEventBytes: 4096,
      maxBufferedBytes: 8192,
      maxConnections: 7,
    });
  });

  it('says what range a duration has, when a negative one is refused', () => {
    expect(configError({ GATEWAY__AGENT_STREAM_TIMEOUT: '-1' }).message).toContain('GATEWAY__AGENT_STREAM_TIMEOUT must be a number of seconds > 0, e.g. 10 or 1.5');
    expect(configError({ GATEWAY__SHUTDOWN_GRACE: '-1' }).message).toContain('GATEWAY__SHUTDOWN_GRACE must be a number of seconds >= 0, e.g. 10 or 1.5');
  });

  it('says what range an integer has, when one past the largest safe integer is refused', () => {
    expect(configError({ GATEWAY__MAX_CONNECTIONS: '99999999999999999999' }).message).toContain(
      'GATEWAY__MAX_CONNECTIONS must be an integer >= 1 and <= 9007199254740991',
    );
  });

  it.each([
    ['debug', 'debug'],
    ['DEBUG', 'debug'],
    ['Info', 'info'],
    ['INFO', 'info'],
    ['warning', 'warning'],
    ['WARNING', 'warning'],
    ['warn', 'warning'],
    ['Warn', 'warning'],
    ['WARN', 'warning'],
    ['error', 'error'],
    ['Error', 'error'],
  ])('reads log level %j as %j', (value, expected) => {
    expect(parseConfig({ GATEWAY__LOG_LEVEL: value }).logLevel).toBe(expected);
  });

  it.each(SECONDS)('%s accepts up to the longest a timer can wait, 2147483 s', (variable, key) => {
    expect(parseConfig({ [variable]: '2147483' })[key]).toBe(2_147_483_000);
  });

  it('TOKEN_BUFFER_FLUSH_MS accepts up to the longest a timer can wait, 2^31 - 1 ms', () => {
    expect(parseConfig({ GATEWAY__TOKEN_BUFFER_FLUSH_MS: '2147483647' }).tokenBufferFlushMs).toBe(2_147_483_647);
  });

  it('splits ALLOWED_ORIGINS on commas and trims each entry', () => {
    expect(
      parseConfig({ GATEWAY__ALLOWED_ORIGINS: ' https://ide.example.com ,http://localhost:3000,,  https://b.example ' })
        .allowedOrigins,
    ).toEqual(['https://ide.example.com', 'http://localhost:3000', 'https://b.example']);
    expect(parseConfig({ GATEWAY__ALLOWED_ORIGINS: 'https://only.example' }).allowedOrigins).toEqual([
      'https://only.example',
    ]);
  });

  it('accepts http and https agent URLs', () => {
    expect(parseConfig({ GATEWAY__AGENT_URL: 'https://agent.internal:9443' }).agentUrl).toBe('https://agent.internal:9443');
    expect(parseConfig({ GATEWAY__AGENT_URL: 'http://10.0.0.5:8001' }).agentUrl).toBe('http://10.0.0.5:8001');
    // The request path is appended to it, so a trailing slash must not double up.
    expect(parseConfig({ GATEWAY__AGENT_URL: 'http://10.0.0.5:8001/' }).agentUrl).toBe('http://10.0.0.5:8001');
  });

  it('trims HOST and AGENT_HEALTH_PATH, and takes an IPv6 HOST in brackets as the address', () => {
    expect(parseConfig({ GATEWAY__HOST: ' 127.0.0.1 ', GATEWAY__AGENT_HEALTH_PATH: ' /healthz ' })).toMatchObject({ host: '127.0.0.1', agentHealthPath: '/healthz' });
    expect(parseConfig({ GATEWAY__HOST: '[::1]' }).host).toBe('::1');
    expect(parseConfig({ GATEWAY__HOST: '::1' }).host).toBe('::1');
  });

  it('uses secrets as given, spaces inside and around included', () => {
    expect(parseConfig({ GATEWAY__CLIENT_JWT_SECRET: ' s3 cret ', GATEWAY__INTERNAL_API_KEY: 'k e-y' })).toMatchObject({
      clientJwtSecret: ' s3 cret ',
      internalApiKey: 'k e-y',
    });
  });

  it('reads the free-text variables as given', () => {
    const config = parseConfig({
      GATEWAY__HOST: '127.0.0.1',
      GATEWAY__AGENT_HEALTH_PATH: '/healthz',
      GATEWAY__INTERNAL_API_KEY: 'k3y',
      GATEWAY__CLIENT_JWT_SECRET: 's3cret',
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      agentHealthPath: '/healthz',
      internalApiKey: 'k3y',
      clientJwtSecret: 's3cret',
    });
  });
});

describe('unknownConfigNames', () => {
  it('names a GATEWAY__ variable it does not own, and one of its own spelled with other underscores or case, with the name meant', () => {
    expect(
      unknownConfigNames(['GATEWAY__LOGLEVEL', 'GATEWAY_PORT', 'gateway__host', 'GATEWAY__COLOR', 'GATEWAY__PORT', 'GATEWAY_URL', 'PATH', 'MOCK_AGENT__PORT']),
    ).toEqual([
      { name: 'GATEWAY_PORT', meant: 'GATEWAY__PORT' },
      { name: 'GATEWAY__COLOR' },
      { name: 'GATEWAY__LOGLEVEL', meant: 'GATEWAY__LOG_LEVEL' },
      { name: 'gateway__host', meant: 'GATEWAY__HOST' },
    ]);
  });

  it('says nothing of an environment of its own names only', () => {
    expect(unknownConfigNames(CONFIG_ENV_NAMES)).toEqual([]);
  });
});
