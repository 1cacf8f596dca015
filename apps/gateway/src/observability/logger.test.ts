import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJzIn0.c2lnbmF0dXJl';

describe('redactUrl', () => {
  it.each([
    [`http://h/ws/s?access_token=${JWT}`, 'http://h/ws/s?access_token=[REDACTED]'],
    [`http://h/ws/s?a=1&access_token=${JWT}&b=2`, 'http://h/ws/s?a=1&access_token=[REDACTED]&b=2'],
    [`http://h/ws/s?ACCESS_TOKEN=${JWT}`, 'http://h/ws/s?ACCESS_TOKEN=[REDACTED]'],
    // The name percent-encoded: URLSearchParams reads it as access_token, so it is the token.
    [`http://h/ws/s?access%5Ftoken=${JWT}`, 'http://h/ws/s?access%5Ftoken=[REDACTED]'],
    [`http://h/ws/s?%61ccess_token=${JWT}#f`, 'http://h/ws/s?%61ccess_token=[REDACTED]#[REDACTED]'],
    // A fragment is never read, so never logged: a token there stays out of the log too.
    [`/ws/s#access_token=${JWT}`, '/ws/s#[REDACTED]'],
    [`/ws/s?a=1#access_token=${JWT}`, '/ws/s?a=1#[REDACTED]'],
    [`/ws/s#x?access_token=${JWT}`, '/ws/s#[REDACTED]'],
    ['/ws/s#', '/ws/s#'],
    [`http://h/ws/s?access_token=${JWT}&access_token=${JWT}`, 'http://h/ws/s?access_token=[REDACTED]&access_token=[REDACTED]'],
    ['http://h/ws/s?access_tokens=x&token=y', 'http://h/ws/s?access_tokens=x&token=y'],
    ['http://h/ws/s', 'http://h/ws/s'],
    ['http://h/ws/s?%E0%A4%A=1', 'http://h/ws/s?%E0%A4%A=1'],
  ])('%s → %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  it('leaves no token in any spelling of the name URLSearchParams reads it from', () => {
    for (const name of ['access_token', 'access%5ftoken', 'acc%65ss_token', 'Access_Token', '%61%63%63%65%73%73%5F%74%6F%6B%65%6E']) {
      const url = `http://h/ws/s?x=1&${name}=${JWT}`;
      expect(new URL(url.toLowerCase()).searchParams.get('access_token')).toBe(JWT.toLowerCase());
      expect(redactUrl(url)).not.toContain(JWT);
    }
  });
});
