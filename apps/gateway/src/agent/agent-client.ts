import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { parseAgentEvent, type AgentEvent, type AgentMessage } from '@agent-gateway/protocol';
import { GatewayError } from '../errors.ts';
import { REDACTED } from '../observability/redact.ts';
import { AgentSilent, type AgentBodyReader, type AgentFetch, type AgentResponse } from './agent-fetch.ts';
import { IdleTimer } from './idle-timer.ts';
import { IgnoredLineFilter } from './ignored-lines.ts';
import { createWebAgentFetch } from './web-agent-fetch.ts';
import { errorForStatus, isEventStream } from './status-mapping.ts';
import { exceedsUtf8Bytes, utf8Length } from './utf8.ts';

export interface AgentClientOptions {
  agentUrl: string;
  internalApiKey: string | undefined;
  /** Longest silence while the gateway is reading, connect and headers included. */
  streamTimeoutMs: number;
  maxEventBytes: number;
  /** Defaults to the global `fetch`, its body read into a buffer of ours where it can be (`createWebAgentFetch`). */
  fetch?: AgentFetch | typeof globalThis.fetch;
}

export interface AgentStreamRequest {
  sessionId: string;
  requestId: string;
  message: AgentMessage;
  /** `message` as JSON text, when the caller has it (the IDE's frame as received); else it is serialized here. */
  messageJson?: string;
  /** Aborts the upstream request: cancel, disconnect, takeover, shutdown. */
  signal: AbortSignal;
  /** The agent answered 2xx: it accepted the message (protocol.md §6). */
  onAccepted?: () => void;
  /** After a terminal event, the rest of the body is drained in the background: its handle. */
  onDrain?: (drain: UpstreamDrain) => void;
}

/** The background drain of a body after its terminal event (§4): the request is not over until it ends. */
export interface UpstreamDrain {
  /** Gives it up: the request is aborted and its connection closed. */
  abort(): void;
  /** Resolves once the body has ended or, aborted, its connection is closed. Never rejects. */
  readonly ended: Promise<void>;
}

export interface AgentStreamEvent {
  event: AgentEvent;
  known: boolean;
  /** The event's `data` as the agent wrote it: relayed as it is, with the gateway's fields set (§5). */
  data: string;
}

/** The request was aborted by the caller's signal; not an error of the agent. */
export class UpstreamAborted extends Error {
  override readonly name = 'UpstreamAborted';
}

/** How much of a refusal's body (a non-2xx answer) is read for the log, and for how long at most. */
const REFUSAL_BODY_BYTES = 1024;
const REFUSAL_BODY_MS = 500;

/**
 * The start of a body, as one line of text (`undefined` if none came in
 * `REFUSAL_BODY_MS`); the rest is given up. A short body read to its end
 * leaves its connection to the next request. `secret` (the internal API key,
 * which an agent may echo, as it is or escaped in a JSON string: it is
 * printable ASCII) is replaced before the text is cut, so no part of it is
 * left at the cut or where the body stopped; line breaks become spaces, other
 * spacing stays as sent (the log's own redaction looks for the key as it is).
 */
async function startOfBody(body: AgentResponse['body'], secret: string | undefined): Promise<string | undefined> {
  if (body === null) return undefined;
  const forms = secret === undefined || secret === '' ? [] : [...new Set([secret, JSON.stringify(secret).slice(1, -1)])];
  const longest = Math.max(0, ...forms.map((form) => form.length));
  const limit = REFUSAL_BODY_BYTES + longest;
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), REFUSAL_BODY_MS)));
  let ended = false;
  try {
    while (size < limit) {
      const next = await Promise.race([reader.read(), late]);
      if (next === undefined) break;
      if (next.done) {
        ended = true;
        break;
      }
      // A reader may reuse `value` on its next read: kept as a copy.
      parts.push(next.value.slice(0, limit - size));
      size += parts.at(-1)!.length;
    }
  } catch {
    // What came before the failure is what the agent said.
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  parts.reduce((at, part) => (bytes.set(part, at), at + part.length), 0);
  let text = new TextDecoder().decode(bytes);
  // Cut short (the time ran out, the read failed): a key the agent was still sending is not left begun.
  if (!ended && size < limit) {
    let begun = 0;
    for (const form of forms) {
      for (let length = Math.min(form.length - 1, text.length); length > begun; length--) {
        if (text.endsWith(form.slice(0, length))) begun = length;
      }
    }
    text = text.slice(0, text.length - begun);
  }
  // The cut, where a key that starts before it was read whole (the read went the key's length further).
  const cut = Math.min(REFUSAL_BODY_BYTES, size === limit ? text.length - longest : text.length);
  let said = '';
  for (let at = 0; at < cut; ) {
    let found = -1;
    let length = 0;
    for (const form of forms) {
      const index = text.indexOf(form, at);
      if (index !== -1 && (found === -1 || index < found)) [found, length] = [index, form.length];
    }
    if (found === -1 || found >= cut) {
      said += text.slice(at, cut);
      break;
    }
    said += text.slice(at, found) + REDACTED;
    at = found + length;
  }
  said = said.replace(/[\r\n\t]+/g, ' ').trim();
  return said === '' ? undefined : said;
}

/** After a terminal event: read and discard at most this much, for this long, so the connection can be reused (§4). */
const DRAIN_MAX_BYTES = 64 * 1024;
const DRAIN_MAX_MS = 1000;

/** Bytes an unfinished event may hold beyond its data (field names, line ends). */
const PARSER_SLACK_CHARS = 64 * 1024;

/**
 * The most `data` lines one event may have: `MAX_EVENT_BYTES` / 16 (at least 1,024), so that
 * what an unfinished event holds stays within some five times `MAX_EVENT_BYTES` however short its
 * lines (eventsource-parser holds some 64 bytes per line beyond the text: 4 million one-character
 * lines, 8 MB of data, held 256 MB).
 */
export const maxDataLinesOf = (maxEventBytes: number): number => Math.max(1024, Math.floor(maxEventBytes / 16));

const DATA_LINE_STARTS = /(?:^|[\r\n])data(?=[:\r\n]|$)/g;

/** `data` lines that start in `text`; at its start only when `atLineStart` (else it goes on with an earlier line). */
function countDataLines(text: string, atLineStart: boolean): number {
  let count = 0;
  for (const match of text.matchAll(DATA_LINE_STARTS)) if (match.index > 0 || atLineStart || match[0].length > 4) count++;
  return count;
}

/**
 * Talks to the agent runtime's `POST /agent/message/stream` (protocol.md §3–§4):
 * one request per turn, its Server-Sent Events parsed and validated, read
 * only as fast as the caller pulls (so a slow client slows the agent through TCP).
 */
export class AgentClient {
  readonly #opts: AgentClientOptions;
  readonly #fetch: AgentFetch;
  readonly #streamUrl: string;

  constructor(options: AgentClientOptions) {
    this.#opts = options;
    // A web `Response` has everything `AgentResponse` names.
    this.#fetch = (options.fetch as AgentFetch | undefined) ?? createWebAgentFetch();
    this.#streamUrl = `${options.agentUrl}/agent/message/stream`;
  }

  /**
   * Probes the agent's health path (the `/ready` check; `stop` gives it up
   * early, at shutdown): a GET with the internal API key as every request
   * to the agent has it (an agent that checks it there refuses a wrong one),
   * and says why it is not healthy: `HTTP 503`, `ECONNREFUSED`, `no answer in 10000 ms`.
   */
  async probe(path: string, timeoutMs: number, stop?: AbortSignal): Promise<{ healthy: true } | { healthy: false; reason: string }> {
    // Given up at once when the time is out (no transport grace: nothing of a session waits on it).
    const timeout = new AbortController();
    const giveUp = (why: string) => timeout.abort(new AgentSilent(why));
    const timer = setTimeout(() => giveUp(`no answer in ${timeoutMs} ms`), timeoutMs);
    const onStop = () => giveUp('the gateway is shutting down');
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
    const headers: Record<string, string> = this.#opts.internalApiKey === undefined ? {} : { 'x-internal-api-key': this.#opts.internalApiKey };
    try {
      const res = await this.#fetch(`${this.#opts.agentUrl}${path}`, { headers, redirect: 'manual', signal: timeout.signal });
      await res.body?.cancel().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? { healthy: true } : { healthy: false, reason: `HTTP ${res.status}` };
    } catch (error) {
      const reason = timeout.signal.aborted && timeout.signal.reason instanceof AgentSilent ? timeout.signal.reason.message : describeFetchError(error);
      return { healthy: false, reason };
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
  }

  /**
   * Streams the agent's events for one turn, in batches (the events of one
   * upstream chunk; a terminal event ends the last batch). Throws `GatewayError` for every
   * failure of the agent and `UpstreamAborted` when `signal` aborted. Stop
   * iterating after a terminal event: the rest of the body is drained in the
   * background and the connection goes back to the pool.
   */
  async *stream(req: AgentStreamRequest): AsyncGenerator<AgentStreamEvent[], void, undefined> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(req.signal.reason);
    if (req.signal.aborted) throw new UpstreamAborted('aborted before the request started');
    req.signal.addEventListener('abort', onAbort, { once: true });
    const idle = new IdleTimer(this.#opts.streamTimeoutMs, () => controller.abort(new AgentSilent('agent idle timeout')));
    const classify = (cause: unknown, phase: 'connect' | 'stream'): Error => {
      if (req.signal.aborted) return new UpstreamAborted('aborted', { cause });
      if (idle.fired) {
        return new GatewayError('agent_timeout', `no data from the agent for ${this.#opts.streamTimeoutMs / 1000} s`, { cause });
      }
      return phase === 'connect'
        ? new GatewayError('agent_unavailable', `the agent could not be reached: ${describeFetchError(cause)}`, { cause })
        : new GatewayError('agent_stream_interrupted', `the agent's stream broke before the turn ended: ${describeFetchError(cause)}`, { cause });
    };

    let reader: AgentBodyReader | undefined;
    let drainAfter = false;
    // Bytes of the rest of the body that came in the terminal event's own chunk: they count toward the drain's bound.
    let drainedAlready = 0;
    // Read to its end: the connection is back in the pool, nothing to abort or wait for.
    let bodyEnded = false;
    try {
      idle.resume();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        // Events must arrive as they are written; and Deno's fetch would otherwise ask for gzip and br.
        'accept-encoding': 'identity',
        'x-request-id': req.requestId,
      };
      if (this.#opts.internalApiKey !== undefined) headers['x-internal-api-key'] = this.#opts.internalApiKey;
      // Outside the request's try: a message that cannot be serialized is not a connect failure.
      const body = `{"session_id":${JSON.stringify(req.sessionId)},"request_id":${JSON.stringify(req.requestId)},"message":${req.messageJson ?? JSON.stringify(req.message)}}`;
      let res: AgentResponse;
      try {
        res = await this.#fetch(this.#streamUrl, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: controller.signal,
          // Cancelled (or disconnected) while the answer was on its way: a 2xx still means accepted.
          onLateAnswer: (status) => {
            if (status >= 200 && status < 300) req.onAccepted?.();
          },
        });
      } catch (cause) {
        throw classify(cause, 'connect');
      }
      if (res.status < 200 || res.status >= 300) {
        const refusal = errorForStatus(res.status, res.headers);
        // What the agent said, for the log (a validation error, say); the IDE gets the status only.
        const said = await startOfBody(res.body, this.#opts.internalApiKey);
        if (req.signal.aborted) throw new UpstreamAborted('aborted', { cause: refusal });
        if (said === undefined) throw refusal;
        throw new GatewayError(refusal.code, refusal.message, { details: refusal.details, retryAfterMs: refusal.retryAfterMs, cause: `the agent's answer: ${said}` });
      }
      // A 2xx answer means the agent accepted the message (protocol.md §6).
      req.onAccepted?.();
      // 204 and 205 have no body by definition (Deno gives none; Node an empty one): no event stream either.
      if (res.status === 204 || res.status === 205 || res.body === null) {
        await res.body?.cancel().catch(() => undefined);
        throw new GatewayError('agent_protocol_error', `the agent answered ${res.status} with no body, not an event stream`, {
          details: { status: res.status },
        });
      }
      if (!isEventStream(res.headers.get('content-type'))) {
        await res.body.cancel().catch(() => undefined);
        throw new GatewayError(
          'agent_protocol_error',
          `the agent answered ${res.status} with content-type ${JSON.stringify(res.headers.get('content-type'))}, not text/event-stream`,
          { details: { status: res.status } },
        );
      }
      reader = res.body.getReader();

      const pending: EventSourceMessage[] = [];
      let parseFailure: GatewayError | undefined;
      // Since the last event: characters fed, and (past `maxDataLines` characters, before which there
      // cannot be more lines) the `data` lines among them. Reset by each event.
      const maxDataLines = maxDataLinesOf(this.#opts.maxEventBytes);
      let charsSinceEvent = 0;
      let dataLinesSinceEvent = 0;
      let fedEndedLine = true;
      const parser = createParser({
        onEvent: (message) => {
          pending.push(message);
          charsSinceEvent = 0;
          dataLinesSinceEvent = 0;
        },
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded') {
            // An unfinished event, or one `data` line, past what the parser holds (other lines never reach
            // it). Said at the end of the chunk's `feed`: the events before it are relayed first, in order.
            const limit = this.#opts.maxEventBytes + PARSER_SLACK_CHARS;
            parseFailure ??= new GatewayError(
              'agent_protocol_error',
              `an event or a data line of the stream is larger than ${this.#opts.maxEventBytes} bytes of data plus ${PARSER_SLACK_CHARS} characters`,
              { details: { max_event_bytes: this.#opts.maxEventBytes, max_line_chars: limit } },
            );
          }
        },
        maxBufferSize: this.#opts.maxEventBytes + PARSER_SLACK_CHARS,
      });
      // The parser drops `ï»¿` (a byte order mark read as Latin-1) from the first text it is fed. The
      // stream is UTF-8, and its one mark (U+FEFF) is dropped below: those three characters are
      // text, the start of a field's name, wherever the stream was split or lines dropped before them.
      parser.feed('');
      // `ignoreBOM`, and the stream's first character dropped here when it is U+FEFF (the SSE standard:
      // only a leading one): Deno's decoder would drop one at the start of every chunk, text of the
      // agent's (`a\uFEFFb` split before the mark lost it), and a mark before a field's name with it.
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      let atStart = true;
      // eventsource-parser holds a chunk's final CR until it sees whether LF follows (§4: a
      // CR alone ends a line). So a final CR is fed as CRLF at once, and an LF that then
      // starts the next chunk is dropped: a CRLF split across chunks stays one line end.
      let skipLeadingLF = false;
      // Comments and fields other than `data` go before the parser holds them: only `data` is bounded (§4).
      const ignored = new IgnoredLineFilter();

      for (;;) {
        idle.resume();
        let chunk: Awaited<ReturnType<AgentBodyReader['read']>>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          throw classify(cause, 'stream');
        }
        idle.pause();
        bodyEnded = chunk.done;
        let text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
        if (atStart && text.length > 0) {
          atStart = false;
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        if (text.length > 0) {
          if (skipLeadingLF && text.charCodeAt(0) === 10) text = text.slice(1);
          skipLeadingLF = text.charCodeAt(text.length - 1) === 13;
          if (skipLeadingLF) text += '\n';
          const fed = ignored.push(text);
          if (fed.length > 0) {
            charsSinceEvent += fed.length;
            if (charsSinceEvent > maxDataLines) dataLinesSinceEvent += countDataLines(fed, fedEndedLine);
            const last = fed.charCodeAt(fed.length - 1);
            fedEndedLine = last === 10 || last === 13;
            parser.feed(fed);
            // Each `data` line of an unfinished event costs the parser some 64 bytes of memory beyond its
            // text (it joins them one string at a time): an event of many short ones is bounded by count.
            if (dataLinesSinceEvent > maxDataLines) {
              parseFailure ??= new GatewayError('agent_protocol_error', `an event of the stream has more than ${maxDataLines} data lines`, {
                details: { max_event_bytes: this.#opts.maxEventBytes, max_data_lines: maxDataLines },
              });
            }
          }
        }
        // One batch per upstream chunk: one await per chunk, not per event.
        const batch: AgentStreamEvent[] = [];
        for (let i = 0; i < pending.length; i++) {
          const data = pending[i]!.data;
          let failure: GatewayError | undefined;
          let parsed: ReturnType<typeof parseAgentEvent> | undefined;
          if (exceedsUtf8Bytes(data, this.#opts.maxEventBytes)) {
            failure = new GatewayError('agent_protocol_error', `an event is larger than ${this.#opts.maxEventBytes} bytes`, {
              details: { max_event_bytes: this.#opts.maxEventBytes },
            });
          } else {
            parsed = parseAgentEvent(data);
            if (!parsed.ok) {
              failure = new GatewayError('agent_protocol_error', `the agent sent an invalid event: ${parsed.message}`, {
                details: parsed.issues.length > 0 ? { issues: parsed.issues } : undefined,
              });
            }
          }
          if (failure !== undefined || parsed === undefined || !parsed.ok) {
            pending.length = 0;
            // What came before the bad event is relayed first, in order.
            if (batch.length > 0) yield batch;
            throw failure;
          }
          batch.push({ event: parsed.event, known: parsed.known, data });
          if (parsed.event.type === 'done' || parsed.event.type === 'error') {
            pending.length = 0;
            drainAfter = !chunk.done;
            if (drainAfter) drainedAlready = bytesAfterEvent(text, data);
            yield batch;
            return;
          }
        }
        pending.length = 0;
        if (batch.length > 0) yield batch;
        if (parseFailure !== undefined) throw parseFailure;
        if (chunk.done) {
          throw new GatewayError('agent_stream_interrupted', 'the agent ended its stream before a terminal event');
        }
      }
    } finally {
      idle.stop();
      req.signal.removeEventListener('abort', onAbort);
      if (reader !== undefined && !bodyEnded) {
        // The rest of the body already past the bound: aborted at once, as below.
        if (drainAfter && !req.signal.aborted && drainedAlready <= DRAIN_MAX_BYTES) {
          const ended = drainBody(reader, controller, drainedAlready);
          req.onDrain?.({ abort: () => controller.abort(), ended });
        } else {
          // Aborting closes the connection; wait for it so the caller knows the request is over.
          controller.abort();
          await reader.cancel().catch(() => undefined);
        }
      }
    }
  }
}

/**
 * Reads and discards the body after a terminal event (`bytes` of it came with that event's chunk),
 * until it ends; aborts past `DRAIN_MAX_BYTES` or `DRAIN_MAX_MS`.
 */
async function drainBody(reader: AgentBodyReader, controller: AbortController, bytes: number): Promise<void> {
  const deadline = setTimeout(() => controller.abort(), DRAIN_MAX_MS);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
      if (bytes > DRAIN_MAX_BYTES) {
        controller.abort();
        return;
      }
    }
  } catch {
    // Aborted or broken: either way the connection is not reused.
  } finally {
    clearTimeout(deadline);
    // Aborted: the connection is closed once the cancel has settled.
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * UTF-8 bytes of `text` after the event whose data is `data` ended (its blank line), where that
 * event is written in `text` as `data:` lines; 0 when it is not (a line of it began in an earlier
 * chunk, or a field line stood among them). A read that delivers the terminal event with more of
 * the body behind it (on Node, a read of up to 64 KiB) thus counts that rest toward the drain's bound.
 * The search compares at most twice as many characters as `text` holds, then gives up (0): an
 * event of many equal lines would otherwise be tried from each of them.
 */
export function bytesAfterEvent(text: string, data: string): number {
  let budget = 2 * text.length + 64;
  for (let at = text.indexOf('data:'); at >= 0 && budget > 0; at = text.indexOf('data:', at + 1)) {
    const before = at === 0 ? 10 : text.charCodeAt(at - 1);
    if (before !== 10 && before !== 13) continue;
    const { end, compared } = eventEnd(text, at, data);
    budget -= compared;
    if (end >= 0) return utf8Length(text.slice(end));
  }
  return 0;
}

/**
 * Just past the blank line of an event whose data is `data`, written from `at` as `data:` lines
 * (-1 when it is not), and how many characters of `text` that took.
 */
function eventEnd(text: string, at: number, data: string): { end: number; compared: number } {
  let i = at;
  let d = 0;
  for (;;) {
    if (!text.startsWith('data:', i)) return { end: -1, compared: i - at + 5 };
    // One space after the colon is the field's, not the value's.
    i += text.charCodeAt(i + 5) === 32 ? 6 : 5;
    for (; d < data.length && data.charCodeAt(d) !== 10; d++, i++) {
      if (text.charCodeAt(i) !== data.charCodeAt(d)) return { end: -1, compared: i - at + 1 };
    }
    const next = pastLineEnd(text, i);
    if (next < 0) return { end: -1, compared: i - at + 1 };
    i = next;
    if (d === data.length) break;
    d++; // the data's line break: its next line follows
  }
  return { end: pastLineEnd(text, i), compared: i - at + 1 };
}

/** Just past the line end (CR, LF or CRLF) at `i`, or -1 when there is none there. */
function pastLineEnd(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code === 13) return text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
  return code === 10 ? i + 1 : -1;
}

/**
 * Why a request to the agent failed, for the client: a system error code
 * (Node's undici gives one) or the same words for Deno's fetch, whose
 * messages name the agent's URL and resolver. The whole text goes to the
 * turn's log line (`cause`), not to the client.
 */
export function describeFetchError(error: unknown): string {
  const own = (error as { code?: unknown })?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: unknown })?.cause;
  const code = (cause as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  // Without the URL: an agent host named `tls-…` is no TLS error.
  const text = [error, cause]
    .map((e) => (e instanceof Error ? e.message : e === undefined ? '' : String(e)))
    .join(' ')
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)]*/gi, '');
  for (const [pattern, name] of FETCH_FAILURES) if (pattern.test(text)) return name;
  return 'the connection failed';
}

/** Deno's fetch errors (hyper, rustls, its resolver) by what they say, as Node's codes name them. */
const FETCH_FAILURES: ReadonlyArray<readonly [RegExp, string]> = [
  [/connection refused/i, 'ECONNREFUSED'],
  [/dns error|failed to lookup|name or service not known|no address associated|nodename nor servname/i, 'ENOTFOUND'],
  [/connection reset/i, 'ECONNRESET'],
  [/timed out/i, 'ETIMEDOUT'],
  [/network is unreachable|no route to host/i, 'ENETUNREACH'],
  [/certificate|tls|ssl/i, 'a TLS error'],
  [/are blocked/i, 'a port the runtime blocks'],
  [/connection closed|unexpected eof|incomplete message|broken pipe/i, 'the connection closed'],
];
