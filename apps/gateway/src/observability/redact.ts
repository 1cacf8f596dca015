import type { GatewayConfig } from '../config.ts';

export const REDACTED = '[REDACTED]';

/** Serializes `value` (as `JSON.stringify`), its secrets taken out. */
export type RedactingStringify = (value: unknown) => string;

/**
 * Takes the gateway's secrets out of every frame and log line (protocol.md
 * §1: none ever contains the internal API key). An agent may echo the key it
 * was sent; the gateway relays agent text as is and writes it into its logs,
 * so the last step before the wire and the log looks. The JSON text is
 * searched first (for each secret as a JSON string escapes it): only when one
 * is there is the value serialized again with the secret replaced in its
 * string values, so names, numbers and the JSON itself stay whole however
 * short a secret is. A secret split across frames (an echo streamed as
 * several tokens) is in none of them whole, and stays as sent.
 * Undefined when there is no secret to look for.
 */
export function createRedactor(config: Pick<GatewayConfig, 'internalApiKey' | 'clientJwtSecret'>): RedactingStringify | undefined {
  // Longest first: a secret that contains another is replaced whole.
  const secrets = [config.internalApiKey, config.clientJwtSecret]
    .filter((secret): secret is string => secret !== undefined && secret !== '')
    .sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return undefined;
  const escaped = secrets.map((secret) => JSON.stringify(secret).slice(1, -1));
  const replacer = (_key: string, value: unknown) => {
    if (typeof value !== 'string') return value;
    let text = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
    return text;
  };
  return (value) => {
    const text = JSON.stringify(value);
    for (const form of escaped) if (text.includes(form)) return JSON.stringify(value, replacer);
    return text;
  };
}
