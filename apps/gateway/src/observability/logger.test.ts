import { describe, expect, it } from 'vitest';
import { describeCause, formatJsonLine, redactUrl } from './logger.ts';
import { createRedactor } from './redact.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJzIn0.c2lnbmF0dXJl';

describe('redactUrl', () => {
  it.each([
    [`http://h/ws/s?access_token=${JWT}`, 'http://h/ws/s?[REDACTED]'],
    [`http://h/ws/s?a=1&access_token=${JWT}&b=2`, 'http://h/ws/s?[REDACTED]'],
    // A token under another name, or as the whole query, is still a token.
    [`http://h/ws/s?token=${JWT}`, 'http://h/ws/s?[REDACTED]'],
    [`/ws/s?${JWT}`, '/ws/s?[REDACTED]'],
    [`http://h/ws/s?%61ccess_token=${JWT}#f`, 'http://h/ws/s?[REDACTED]#[REDACTED]'],
    // A fragment is never read, so never logged: a token there stays out of the log too.
    [`/ws/s#access_token=${JWT}`, '/ws/s#[REDACTED]'],
    [`/ws/s?a=1#access_token=${JWT}`, '/ws/s?[REDACTED]#[REDACTED]'],
    [`/ws/s#x?access_token=${JWT}`, '/ws/s#[REDACTED]'],
    ['/ws/s#', '/ws/s#'],
    ['/ws/s?', '/ws/s?'],
    ['/ws/s?#', '/ws/s?#'],
    ['http://h/ws/s', 'http://h/ws/s'],
    ['/ws/a%2Fb', '/ws/a%2Fb'],
  ])('%s → %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  it('leaves no token under any query name', () => {
    for (const name of ['access_token', 'access%5ftoken', 'Access_Token', 'token', 'jwt', 'auth', 'access_token+']) {
      const url = `http://h/ws/s?x=1&${name}=${JWT}`;
      expect(redactUrl(url)).not.toContain(JWT);
      expect(redactUrl(url)).toBe('http://h/ws/s?[REDACTED]');
    }
  });
});

describe('describeCause', () => {
  it('puts an error and its causes on one line, with their codes, credentials in URLs taken out', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8001'), { code: 'ECONNREFUSED' });
    expect(describeCause(new TypeError('fetch failed', { cause }))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:8001');
    expect(describeCause(Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' }))).toBe('socket hang up (UND_ERR_SOCKET)');
    expect(describeCause(new TypeError('error sending request for url (http://user:pw@agent:8001/x): refused'))).toBe(
      'error sending request for url (http://[REDACTED]@agent:8001/x): refused',
    );
    expect(describeCause('plain')).toBe('plain');
  });
});

describe('formatJsonLine', () => {
  const record = (properties: Record<string, unknown>) =>
    ({ category: ['gateway', 'session'], level: 'info', message: ['upgrade refused'], rawMessage: 'upgrade refused', timestamp: 0, properties }) as never;

  it('takes out anything shaped like a JWT, wherever it is: a client token the URL does not carry as a query', () => {
    const token = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sid":"s1","exp":1}').toString('base64url')}.c2lnbmF0dXJl-_x`;
    const line = formatJsonLine(
      record({ session_id: token, url: `/ws/s1&access_token=${token}`, other: `token:\n${token} end`, cause: { message: 'x', nested: [token] } }),
    );
    expect(line).not.toContain(token.split('.')[1]);
    expect(JSON.parse(line)).toMatchObject({
      session_id: '[REDACTED]',
      url: '/ws/s1&access_token=[REDACTED]',
      other: 'token:\n[REDACTED] end',
      cause: { message: 'x', nested: ['[REDACTED]'] },
    });
  });

  it('takes out a token with some of its characters percent-encoded; other escapes stay as written', () => {
    const token = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sid":"s1"}').toString('base64url')}.c2lnbmF0dXJl`;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const escaped = (char: string) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
    const encoded = `/ws/a%2Fb%20c/${header}.${escaped(payload[0]!)}${payload.slice(1, 4)}${escaped(payload[4]!)}${payload.slice(5)}.${signature}`;
    const line = JSON.parse(formatJsonLine(record({ url: encoded, path: '/ws/a%20b%41', reason: 'caf%C3%A9 %zz' })));
    expect(line).toMatchObject({ url: '/ws/a%2Fb%20c/[REDACTED]', path: '/ws/a%20b%41', reason: 'caf%C3%A9 %zz' });
    expect(JSON.stringify(line)).not.toContain(signature);
  });

  it('keeps every line JSON: a value whose serialized escape ends in `e` (U+001E, a lone surrogate) before `yJ…`', () => {
    for (const [lead, rest] of [['\u001e', 'yJa.eyJb.c'], ['\ud83e', 'yJa.eyJb.c'], ['\u000e', 'yJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJzMSJ9.x']]) {
      // Still a JWT's shape without the `e`: taken out, and the line stays JSON.
      expect(JSON.parse(formatJsonLine(record({ reason: `${lead}${rest}` }))).reason).toBe(`${lead}[REDACTED]`);
    }
  });

  it('takes out a token glued to what comes before it (a percent-encoding, a session id), with that', () => {
    const token = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sid":"*"}').toString('base64url')}.c2ln`;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const line = JSON.parse(
      formatJsonLine(
        record({
          url: `/ws/s1%3Faccess_token%3D${token}`,
          session_id: `s1-${token}`,
          [`name-${token}`]: 1,
          after_a_dot: `/ws/s1.${token}`,
          forwarded_for: `1.2.3.4.${token}`,
          reason: `invalid token.${token} (expired)`,
          encoded_dots: `/ws/${header}%2E${payload}%2e${signature}`,
        }),
      ),
    );
    expect(line).toMatchObject({
      url: '/ws/s1%3Faccess_token%[REDACTED]',
      session_id: '[REDACTED]',
      '[REDACTED]': 1,
      after_a_dot: '/ws/[REDACTED]',
      forwarded_for: '1.2.3.[REDACTED]',
      reason: 'invalid [REDACTED] (expired)',
      encoded_dots: '/ws/[REDACTED]',
    });
    expect(JSON.stringify(line)).not.toContain(signature);
  });

  it('takes out a JWT whose JSON is not written as JSON.stringify writes it: spaces (`{ "alg"…`, base64url `eyAi…`), whitespace first', () => {
    const b64 = (json: string) => Buffer.from(json).toString('base64url');
    for (const [header, payload] of [
      ['{ "alg": "HS256", "typ": "JWT" }', '{ "sid": "*", "exp": 1 }'],
      ['\n  {"alg":"HS256"}', '\t\r\n {"sid":"s1"}'],
      ['{"alg":"HS256"}', '     {"sid":"s1"}'],
      ['\r{"alg":"HS256"}', '\r{"sid":"s1"}'],
      // A byte order mark first: a JWT library's decoder drops it.
      ['\ufeff{"alg":"HS256"}', '\ufeff {"sid":"s1"}'],
    ]) {
      const token = `${b64(header!)}.${b64(payload!)}.c2lnbmF0dXJl`;
      expect(token.slice(0, 3) !== 'eyJ' || token.split('.')[1]!.slice(0, 3) !== 'eyJ').toBe(true);
      const line = formatJsonLine(record({ url: `/ws/s1&access_token=${token}`, session_id: `s1.${token}`, alone: token, other: `x ${token} y` }));
      expect(JSON.parse(line)).toMatchObject({ url: '/ws/s1&access_token=[REDACTED]', session_id: '[REDACTED]', alone: '[REDACTED]', other: 'x [REDACTED] y' });
      expect(line).not.toContain('c2lnbmF0dXJl');
    }
  });

  it('takes the internal API key out first: a key that is itself a JWT leaves nothing of itself', () => {
    const key = `${Buffer.from('{"alg":"HS256","kid":"svc"}').toString('base64url')}.${Buffer.from('{"sub":"gateway"}').toString('base64url')}.S1GNATURE_of_the_key`;
    const stringify = createRedactor({ internalApiKey: key })!;
    const line = formatJsonLine(record({ echo: `echo: eyJx.${key}` }), stringify);
    expect(line).not.toContain('S1GNATURE');
  });

  it('leaves what is not a JWT as it is', () => {
    const kept = {
      session_id: 'eyJ-not.a-token',
      url: '/ws/eyJ.x',
      address: '127.0.0.1',
      file: 'src/agent/agent-client.test.ts',
      host: 'agent.internal.example.com',
      // `e` and a letter of the second half of base64url's: `{`, then not a member's `"`.
      words: 'the.example.extra.e2e.exp.ez',
      // `e30` is `{}`: a content hash, not an object with a member.
      asset: '/assets/index.e31f0c9a.js',
      chunk: '/static/js/main.e3302d15.chunk.js',
      version_e3: 'build 1.e32.0',
      version: 'v1.2.3-rc.1',
      // A JSON object's opening only in the last part (it has no part after it), or in the first.
      last: 'a.b.eyJ',
      first: 'eyJhbGciOiJIUzI1NiJ9.x.y',
      dots: '.....',
    };
    const line = formatJsonLine(record(kept));
    expect(JSON.parse(line)).toMatchObject(kept);
  });
});

