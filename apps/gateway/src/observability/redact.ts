import type { GatewayConfig } from '../config.ts';
import { clip, redactJwts } from './logger.ts';

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
  const key = keyOf(config);
  if (key === undefined) return undefined;
  return (value) => {
    const text = JSON.stringify(value);
    // Parsed back from its own text: toJSON, undefined and the like as JSON.stringify had them.
    return text !== undefined && key.isIn(text) ? key.redacted(text) : text;
  };
}

/**
 * As `createRedactor`, for JSON text already written (a relayed agent event,
 * its numbers as the agent wrote them): the same text when it does not hold
 * the key, else parsed and serialized again with the key taken out. Text not
 * written by `JSON.stringify` may spell the key with escapes it would not use
 * (`\u0061`, `\/`; the key is printable ASCII): those are read as it would
 * write them before the key is looked for, without parsing the text.
 */
export function createTextRedactor(config: Pick<GatewayConfig, 'internalApiKey'>): ((json: string) => string) | undefined {
  const key = keyOf(config);
  if (key === undefined) return undefined;
  return (text) => {
    const holdsKey = key.isIn(text) || (SPELLS_ASCII.test(text) && key.isIn(text.replace(ESCAPES, asStringifyWrites)));
    return holdsKey ? key.redacted(text) : text;
  };
}

/** An escape that may spell a printable ASCII character `JSON.stringify` writes as itself. */
const SPELLS_ASCII = /\\u00[2-7][0-9a-fA-F]|\\\//;
/** Every escape, from its backslash: matched left to right, `\\` is one escape and what follows it is not. */
const ESCAPES = /\\(?:u00([2-7][0-9a-fA-F])|\/|[^])/g;
const asStringifyWrites = (escape: string, code: string | undefined): string => {
  if (escape === '\\/') return '/';
  if (code === undefined) return escape;
  const char = String.fromCharCode(Number.parseInt(code, 16));
  // The two of them JSON.stringify escapes.
  return char === '"' || char === '\\' ? `\\${char}` : char;
};

/** Whether JSON text holds the key, and how a text holding it is cleaned; undefined when there is no key. */
function keyOf(config: Pick<GatewayConfig, 'internalApiKey'>): { isIn: (json: string) => boolean; redacted: (text: string) => string } | undefined {
  const secret = config.internalApiKey;
  if (secret === undefined || secret === '') return undefined;
  // A key with a quote or a backslash is also looked for as JSON escapes it within a string:
  // quoted by the gateway into a message of its own (`content-type "text/k\\ey"`), or by the agent.
  const escaped = jsonEscaped(secret);
  const spellings = escaped === secret ? [secret] : [secret, escaped];
  // Each spelling as it stands in JSON text (inside a string: escaped once more).
  const inJson = spellings.map(jsonEscaped);
  const hide = (text: string) => spellings.reduce((out, spelled) => (out.includes(spelled) ? out.split(spelled).join(REDACTED) : out), text);
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
  return { isIn: (json) => inJson.some((needle) => json.includes(needle)), redacted: (text) => JSON.stringify(clean(JSON.parse(text))) };
}

/** A string as JSON writes it between its quotes. */
const jsonEscaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/**
 * A request path as a response names it (a 404): no client token and no
 * internal API key (§1: in no response, even one a client put in the path),
 * at most `MAX_LOGGED_CHARS`. The key is looked for with the path's
 * percent-encoding decoded, run by run (a malformed `%zz` elsewhere leaves
 * the rest decoded): what it shows then is the decoded path.
 */
export function shownPath(path: string, secret: string | undefined): string {
  let shown = redactJwts(path);
  if (secret !== undefined && secret !== '') {
    const decoded = percentDecoded(shown);
    shown = (decoded.includes(secret) ? decoded : shown).split(secret).join(REDACTED);
  }
  return clip(shown);
}

const PERCENT_RUNS = /(?:%[0-9A-Fa-f]{2})+/g;

/** `text` with each run of percent-escapes decoded where it is UTF-8; a run that is not stays as it is. */
function percentDecoded(text: string): string {
  return text.replace(PERCENT_RUNS, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
