import { configureSync, getLogger, type LogRecord, type Logger } from '@logtape/logtape';
import type { LogLevelName } from '../config.ts';

export type { Logger };

/** Loggers of the gateway; categories are dotted in the output (`gateway.session`). */
export const loggers = {
  server: () => getLogger(['gateway', 'server']),
  /** Start-up facts (the `listening` line, start-up warnings): written whatever the level; scripts wait for them. */
  lifecycle: () => getLogger(['gateway', 'lifecycle']),
  session: () => getLogger(['gateway', 'session']),
  turn: () => getLogger(['gateway', 'turn']),
};

const LEVEL_NAMES: Record<string, string> = { warning: 'warn', fatal: 'fatal', trace: 'trace' };

/**
 * One JSON object per line: `time`, `level`, `logger`, `msg`, then the
 * record's properties at the top level (`{"msg":"listening","url":…}`).
 */
export function formatJsonLine(record: LogRecord, stringify: (value: unknown) => string = JSON.stringify): string {
  let msg = '';
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    msg += i % 2 === 0 ? String(part) : typeof part === 'string' ? part : JSON.stringify(part);
  }
  const line: Record<string, unknown> = {
    time: new Date(record.timestamp).toISOString(),
    level: LEVEL_NAMES[record.level] ?? record.level,
    logger: record.category.join('.'),
    msg,
  };
  for (const [key, value] of Object.entries(record.properties)) {
    if (!(key in line)) line[key] = value instanceof Error ? describeError(value) : value;
  }
  let text = stringify(line);
  // Searched in the text (after `stringify` took the internal API key out); cleaned in the values,
  // parsed back from it, only where a JWT may be: an escape in the text (`\u001e`) is never cut.
  if (hasJwt(text)) text = stringify(withoutJwts(JSON.parse(text)));
  return `${text}\n`;
}

/**
 * A JWT: base64url parts joined by dots, one after the first opening a JSON
 * object with a member (`{"`, whitespace and a byte order mark allowed: `eyJ`
 * is only the common spelling, and a header written `{ "alg": …}`, `eyAi…`,
 * is as valid). It is taken out
 * wherever it turns up in a line: §9 keeps client tokens out of every log
 * line, and a client that gets its URL wrong puts one where no query is
 * (`/ws/s1&access_token=…`, `/ws/s1%3Faccess_token%3D…`, `/ws/s1-<token>`,
 * `/ws/s1.<token>`, `/ws/<token>`). What is glued to it goes with it:
 * base64url characters before it (a percent-encoding's `3D`), every dotted
 * part after it (so a token after a dot, whose header then looks like the
 * second part, keeps no signature); a dot may be written `%2E`.
 *
 * A run of dotted parts starts only where a run of base64url characters
 * starts, and neither `.` nor `%` is one of them, so the search is linear in
 * the text; each part is decoded only as far as its first byte that is not
 * whitespace.
 */
const DOTTED_RUNS = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]*(?:(?:\.|%2[Ee])[A-Za-z0-9_-]*){2,}/g;
const DOT = /\.|%2[Ee]/g;

/**
 * Where the JWT in `run` (base64url parts joined by dots) starts: the part
 * before the first one, after the first, that opens a JSON object and has a
 * part after it; -1 when there is none.
 */
function jwtStart(run: string): number {
  const dots: { at: number; end: number }[] = [];
  for (const match of run.matchAll(DOT)) dots.push({ at: match.index, end: match.index + match[0].length });
  for (let i = 0; i + 1 < dots.length; i++) {
    if (opensJsonObject(run, dots[i]!.end, dots[i + 1]!.at)) return i === 0 ? 0 : dots[i - 1]!.end;
  }
  return -1;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether `text[from, to)`, base64url, decodes to the start of a JSON object with a member: `{"`,
 * JSON whitespace around the `{` and a byte order mark first allowed (a JWT library's decoder
 * drops one). `{"` alone is base64url's `eyJ`; `{` then anything would be `e` and any of 16
 * characters, as in `example`, and `{}` is `e30`, as in a file's hash `index.e31f0c9a.js`.
 */
function opensJsonObject(text: string, from: number, to: number): boolean {
  let bits = 0;
  let value = 0;
  let opened = false;
  let bom = 0;
  for (let i = from; i < to; i++) {
    value = ((value << 6) | BASE64URL.indexOf(text[i]!)) & 0xfff;
    bits += 6;
    if (bits < 8) continue;
    bits -= 8;
    const byte = (value >> bits) & 0xff;
    // A byte order mark, whole, only as the first bytes.
    if (bom < 3) {
      if (byte === BOM[bom]) {
        bom++;
        continue;
      }
      if (bom > 0) return false;
      bom = 3;
    }
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    if (opened) return byte === 0x22;
    if (byte !== 0x7b) return false;
    opened = true;
  }
  return false;
}
const BOM = [0xef, 0xbb, 0xbf];

/**
 * A dot before a part whose first character may begin `{"`: `e` (`{`), `I` (a space), `C` (a tab or
 * a line feed), `D` (a carriage return), `7` (a byte order mark). Without one, no JWT: most lines
 * (`127.0.0.1`, `gateway.turn`) are passed by this test alone.
 */
const MAY_HOLD_JWT = /(?:\.|%2[Ee])[eICD7]/;

const hasJwtAsWritten = (text: string): boolean => {
  if (!MAY_HOLD_JWT.test(text)) return false;
  for (const [run] of text.matchAll(DOTTED_RUNS)) if (jwtStart(run) >= 0) return true;
  return false;
};

/**
 * A percent-escape of a character JWTs are written with, base64url's or the dot: the same
 * character, encoded or not (RFC 3986 §2.3, unreserved). Other escapes (`%2F`, `%20`) stay.
 */
const TOKEN_CHAR_ESCAPES = /%(?:2[DEde]|3\d|4[1-9A-Fa-f]|5[0-9AaFf]|6[1-9A-Fa-f]|7[0-9Aa])/g;
const hasTokenCharEscape = (text: string): boolean => text.search(TOKEN_CHAR_ESCAPES) >= 0;
const withTokenCharsDecoded = (text: string): string =>
  text.replace(TOKEN_CHAR_ESCAPES, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)));

/** Whether `text` holds a JWT, as written or with its token characters' escapes decoded. */
const hasJwt = (text: string): boolean => hasJwtAsWritten(text) || (hasTokenCharEscape(text) && hasJwtAsWritten(withTokenCharsDecoded(text)));

const redactJwtsAsWritten = (text: string): string =>
  MAY_HOLD_JWT.test(text)
    ? text.replace(DOTTED_RUNS, (run) => {
        const start = jwtStart(run);
        return start < 0 ? run : `${run.slice(0, start)}[REDACTED]`;
      })
    : text;

/**
 * `text` with every JWT in it replaced by `[REDACTED]`. A token with some of
 * its characters percent-encoded (`.%65yJ…`, a hand-made request target) is
 * one all the same: the text is then shown with those escapes decoded, the
 * others (`%2F`) as they were.
 */
export const redactJwts = (text: string): string => {
  const redacted = redactJwtsAsWritten(text);
  if (!hasTokenCharEscape(redacted)) return redacted;
  const decoded = withTokenCharsDecoded(redacted);
  return hasJwtAsWritten(decoded) ? redactJwtsAsWritten(decoded) : redacted;
};

/** `value` (parsed JSON: plain data) with every JWT in its strings, names included, replaced. */
function withoutJwts(value: unknown): unknown {
  if (typeof value === 'string') return redactJwts(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutJwts);
  const copy: Record<string, unknown> = {};
  // defineProperty: a name such as `__proto__` stays a name.
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(copy, redactJwts(key), { value: withoutJwts(item), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Sends every gateway log line, as JSON, to `write` (stdout at the runtime edge); `stringify` takes secrets out (observability/redact.ts). */
export function configureLogging(level: LogLevelName, write: (line: string) => void, stringify?: (value: unknown) => string): void {
  configureSync({
    reset: true,
    sinks: { out: (record: LogRecord) => write(formatJsonLine(record, stringify)) },
    loggers: [
      { category: ['gateway'], lowestLevel: level, sinks: ['out'] },
      { category: ['gateway', 'lifecycle'], lowestLevel: 'debug', sinks: ['out'], parentSinks: 'override' },
      { category: ['logtape', 'meta'], lowestLevel: 'warning', sinks: ['out'] },
    ],
  });
}

/**
 * A URL fit for a log line: its query string is redacted whole (§9: a client
 * may put its token under any name, `?token=` or `?jwt=` as readily as
 * `?access_token=`), and so is a fragment, which only a hand-written request
 * target carries. Path and host stay: they are what an operator looks for.
 */
export function redactUrl(url: string): string {
  let end = url.length;
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 63 /* ? */ || code === 35 /* # */) {
      end = i;
      break;
    }
  }
  let out = url.slice(0, end);
  const hash = url.indexOf('#', end);
  const queryEnd = hash < 0 ? url.length : hash;
  if (end < queryEnd) out += queryEnd > end + 1 ? '?[REDACTED]' : '?';
  if (hash >= 0) out += hash === url.length - 1 ? '#' : '#[REDACTED]';
  return out;
}

/** Longest text a log field takes from outside (an agent's error message): one line stays readable. */
export const MAX_LOGGED_CHARS = 2000;

/** `text`, cut to `max` characters with how many more there were. */
export function clip(text: string, max = MAX_LOGGED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** An error as a log field: its name, message, `code` if any, stack, and its causes (three deep). */
function describeError(error: Error, depth = 0): Record<string, unknown> {
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') described.code = code;
  if (error.stack !== undefined) described.stack = error.stack;
  const cause = error.cause;
  if (cause instanceof Error && depth < 3) described.cause = describeError(cause, depth + 1);
  else if (cause !== undefined && !(cause instanceof Error)) described.cause = String(cause);
  return described;
}

/**
 * What the runtime reported, on one line: the messages of an error and its
 * causes, with their codes (`fetch failed: connect ECONNREFUSED 127.0.0.1:8001`).
 * Credentials in a URL are taken out.
 */
export function describeCause(cause: unknown): string {
  const parts: string[] = [];
  for (let at = cause, depth = 0; at !== undefined && at !== null && depth < 4; depth++) {
    const code = (at as { code?: unknown }).code;
    const message = at instanceof Error ? at.message : String(at);
    parts.push(typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message);
    at = at instanceof Error ? at.cause : undefined;
  }
  return parts.join(': ').replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1[REDACTED]@');
}
