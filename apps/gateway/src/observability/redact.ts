import type { GatewayConfig } from '../config.ts';

export const REDACTED = '[REDACTED]';

/**
 * Replaces the gateway's secrets wherever they appear in a frame or a log
 * line (protocol.md §1: none ever contains the internal API key). An agent
 * may echo the key it was sent; the gateway relays agent text as is and
 * writes it into its logs, so the last step before the wire and the log
 * looks. Both are JSON text: a secret is looked for as written and as a
 * JSON string escapes it. Undefined when there is no secret to look for.
 */
export function createRedactor(config: Pick<GatewayConfig, 'internalApiKey' | 'clientJwtSecret'>): ((text: string) => string) | undefined {
  const forms = new Set<string>();
  for (const secret of [config.internalApiKey, config.clientJwtSecret]) {
    if (secret === undefined || secret === '') continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  if (forms.size === 0) return undefined;
  // Longest first: a secret that contains another is replaced whole.
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    for (const form of sorted) {
      if (text.includes(form)) text = text.split(form).join(REDACTED);
    }
    return text;
  };
}
