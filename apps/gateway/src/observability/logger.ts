import { configureSync, getLogger, type LogRecord, type Logger } from '@logtape/logtape';
import type { LogLevelName } from '../config.ts';

export type { Logger };

/** Loggers of the gateway; categories are dotted in the output (`gateway.session`). */
export const loggers = {
  server: () => getLogger(['gateway', 'server']),
  /** Start-up facts (the `listening` line): written whatever the level, since scripts wait for them. */
  lifecycle: () => getLogger(['gateway', 'lifecycle']),
  session: () => getLogger(['gateway', 'session']),
  turn: () => getLogger(['gateway', 'turn']),
};

const LEVEL_NAMES: Record<string, string> = { warning: 'warn', fatal: 'fatal', trace: 'trace' };

/**
 * One JSON object per line: `time`, `level`, `logger`, `msg`, then the
 * record's properties at the top level (`{"msg":"listening","url":…}`).
 */
export function formatJsonLine(record: LogRecord): string {
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
    if (!(key in line)) line[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return `${JSON.stringify(line)}\n`;
}

/** Sends every gateway log line, as JSON, to `write` (stdout at the runtime edge). */
export function configureLogging(level: LogLevelName, write: (line: string) => void): void {
  configureSync({
    reset: true,
    sinks: { out: (record: LogRecord) => write(formatJsonLine(record)) },
    loggers: [
      { category: ['gateway'], lowestLevel: level, sinks: ['out'] },
      { category: ['gateway', 'lifecycle'], lowestLevel: 'debug', sinks: ['out'], parentSinks: 'override' },
      { category: ['logtape', 'meta'], lowestLevel: 'warning', sinks: ['out'] },
    ],
  });
}

/**
 * A URL fit for a log line: the value of every query parameter whose name
 * decodes to `access_token` (a client credential, protocol.md §9) is
 * redacted. Names are decoded as `URLSearchParams` decodes them, which is how
 * the token is read: `access%5Ftoken=` is the same parameter. A fragment
 * (which only a hand-written request target carries) is not logged at all.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 || hash === url.length - 1 ? url.slice(beforeHash.length) : '#[REDACTED]';
  const query = beforeHash.indexOf('?');
  if (query < 0) return beforeHash + fragment;
  const pairs = beforeHash.slice(query + 1).split('&');
  for (let i = 0; i < pairs.length; i++) {
    const eq = pairs[i]!.indexOf('=');
    if (eq < 0) continue;
    const name = pairs[i]!.slice(0, eq);
    if (decodeQueryName(name).toLowerCase() === 'access_token') pairs[i] = `${name}=[REDACTED]`;
  }
  return `${beforeHash.slice(0, query + 1)}${pairs.join('&')}${fragment}`;
}

/** `+` is a space and each valid `%XX` its byte; a malformed escape stays as written (as `URLSearchParams` does). */
const decodeQueryName = (name: string): string =>
  name.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
