import { z } from 'zod';

const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be an integer from ${min} to ${max}`);

/** The mock agent's environment; the defaults live here and nowhere else. */
export const MockAgentEnvSchema = z.object({
  // As the gateway reads its own: trimmed, and an IPv6 host may be written in brackets.
  MOCK_AGENT__HOST: z.preprocess(
    unsetWhenEmpty,
    z
      .string()
      .trim()
      .min(1, 'must not be blank (leave it empty or unset for the default)')
      .transform((value) => (/^\[.*\]$/.test(value) ? value.slice(1, -1) : value))
      .default('127.0.0.1'),
  ),
  MOCK_AGENT__PORT: z.preprocess(unsetWhenEmpty, integer(0, 65535).default(8001)),
  MOCK_AGENT__API_KEY: z.preprocess(unsetWhenEmpty, z.string().optional()),
  MOCK_AGENT__TOKEN_DELAY_MS: z.preprocess(unsetWhenEmpty, integer(0, 60_000).default(15)),
});

export interface MockAgentConfig {
  host: string;
  /** `0`: any free port. */
  port: number;
  /** When set, `POST /agent/message/stream` requires this `x-internal-api-key`. */
  apiKey?: string;
  /** Pause between the default agent's tokens. */
  tokenDelayMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the mock agent's configuration; throws a `ConfigError` naming the variable on a bad value. */
export function parseConfig(env: Record<string, string | undefined>): MockAgentConfig {
  const known = Object.fromEntries(Object.keys(MockAgentEnvSchema.shape).map((key) => [key, env[key]]));
  const result = MockAgentEnvSchema.safeParse(known);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      return `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const data = result.data;
  return {
    host: data.MOCK_AGENT__HOST,
    port: data.MOCK_AGENT__PORT,
    ...(data.MOCK_AGENT__API_KEY === undefined ? {} : { apiKey: data.MOCK_AGENT__API_KEY }),
    tokenDelayMs: data.MOCK_AGENT__TOKEN_DELAY_MS,
  };
}

/** Why the server could not listen, naming the variables to change (a port in use, a host not this machine's). */
export function listenFailure(error: unknown, host: string, port: number): string {
  const what = (error as { code?: unknown })?.code ?? (error as { name?: unknown })?.name;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (what === 'EADDRINUSE' || what === 'AddrInUse') return `cannot listen on ${where}: the port is in use; set MOCK_AGENT__PORT to a free one (0: any free port)`;
  return `cannot listen on ${where} (MOCK_AGENT__HOST / MOCK_AGENT__PORT): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
}
