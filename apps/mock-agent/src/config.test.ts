import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('has defaults', () => {
    expect(parseConfig({})).toEqual({ host: '127.0.0.1', port: 8001, tokenDelayMs: 15 });
  });

  it('reads every variable', () => {
    expect(
      parseConfig({
        MOCK_AGENT__HOST: '0.0.0.0',
        MOCK_AGENT__PORT: '0',
        MOCK_AGENT__API_KEY: 'k',
        MOCK_AGENT__TOKEN_DELAY_MS: '0',
      }),
    ).toEqual({ host: '0.0.0.0', port: 0, apiKey: 'k', tokenDelayMs: 0 });
  });

  it('treats an empty value as unset', () => {
    expect(
      parseConfig({ MOCK_AGENT__HOST: '', MOCK_AGENT__PORT: '', MOCK_AGENT__API_KEY: '', MOCK_AGENT__TOKEN_DELAY_MS: '' }),
    ).toEqual({ host: '127.0.0.1', port: 8001, tokenDelayMs: 15 });
  });

  it('trims the port, the delay and the host, and reads an IPv6 host in brackets as the address (as the gateway does)', () => {
    expect(parseConfig({ MOCK_AGENT__PORT: ' 80 ', MOCK_AGENT__TOKEN_DELAY_MS: ' 5', MOCK_AGENT__HOST: ' 0.0.0.0 ' })).toEqual({ host: '0.0.0.0', port: 80, tokenDelayMs: 5 });
    expect(parseConfig({ MOCK_AGENT__HOST: '[::1]' }).host).toBe('::1');
    expect(() => parseConfig({ MOCK_AGENT__HOST: '  ' })).toThrow('MOCK_AGENT__HOST: must not be blank');
  });

  it('ignores other variables', () => {
    expect(parseConfig({ GATEWAY__PORT: 'nonsense', PATH: '/bin' }).port).toBe(8001);
  });

  it.each([
    ['MOCK_AGENT__PORT', 'abc'],
    ['MOCK_AGENT__PORT', '-1'],
    ['MOCK_AGENT__PORT', '65536'],
    ['MOCK_AGENT__PORT', '80.5'],
    ['MOCK_AGENT__PORT', ' '],
    ['MOCK_AGENT__TOKEN_DELAY_MS', 'fast'],
  ])('%s=%j throws an error naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(`${name}: must be an integer`);
    expect(() => parseConfig({ [name]: value })).toThrow(`(got ${JSON.stringify(value)})`);
  });
});
