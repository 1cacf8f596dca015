import type { GatewayConfig } from '../config.ts';

export const REDACTED = '[REDACTED]';

/** Serializes `value` (as `JSON.stringify`), its secrets taken out. */
export type RedactingStringify = (value: unknown) => string;

/** Below this length a secret also turns up in ordinary text: start-up warns (server-lifecycle.ts). */
export const SHORT_SECRET_CHARS = 16;

/**
 * Takes the internal API key out of every frame and log line (protocol.md §1:
 * none ever contains it). It is the one secret the gateway sends anywhere:
 * an agent may echo it, and the gateway relays agent text as is and writes
 * it into its logs, so the last step before the wire and the log looks.
 * (The client JWT secret is never sent, so nothing can echo it.) The JSON
 * text is searched first, for the key as a JSON string escapes it: only a
 * value that holds it is serialized again, with the key replaced in every
 * string, and in property names too unless the key is shorter than
 * `SHORT_SECRET_CHARS`; numbers and the JSON itself stay whole however short
 * a key is. A key split across frames (an echo streamed as
 * several tokens) is in none of them whole, and stays as sent.
 * Undefined when there is no key to look for.
 */
export function createRedactor(config: Pick<GatewayConfig, 'internalApiKey'>): RedactingStringify | undefined {
  const redactText = createTextRedactor(config);
  return redactText && ((value) => {
    const text = JSON.stringify(value);
    return text === undefined ? text : redactText(text);
  });
}

/**
 * As `createRedactor`, for JSON text already written (a relayed agent event,
 * its numbers as the agent wrote them): the same text when it does not hold
 * the key, else parsed and serialized again with the key taken out. Text
 * not written by `JSON.stringify` may spell the key with escapes it would not
 * use (`\u0061`, `\/`): where it has such escapes, it is looked at as
 * `JSON.stringify` writes it.
 */
export function createTextRedactor(config: Pick<GatewayConfig, 'internalApiKey'>): ((json: string) => string) | undefined {
  const secret = config.internalApiKey;
  if (secret === undefined || secret === '') return undefined;
  const escaped = JSON.stringify(secret).slice(1, -1);
  const hide = (text: string) => (text.includes(secret) ? text.split(secret).join(REDACTED) : text);
  // A key that short could be part of the protocol's own names (`type`, `seq`): names are left
  // whole then, values are not (start-up warns of such a key).
  const hideName = secret.length >= SHORT_SECRET_CHARS ? hide : (name: string) => name;
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return hide(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value === null || typeof value !== 'object') return value;
    const copy: Record<string, unknown> = {};
    // defineProperty: a name such as `__proto__` stays a name.
    for (const [key, item] of Object.entries(value)) Object.defineProperty(copy, hideName(key), { value: clean(item), enumerable: true, writable: true, configurable: true });
    return copy;
  };
  // A serialized value is parsed back from its own text: toJSON, undefined and the like as JSON.stringify had them.
  const holdsKey = (text: string) => text.includes(escaped) || ((text.includes('\\u') || text.includes('\\/')) && JSON.stringify(JSON.parse(text)).includes(escaped));
  return (text) => (holdsKey(text) ? JSON.stringify(clean(JSON.parse(text))) : text);
}
