import { describe, expect, it } from 'vitest';
import { pathOf, targetOf } from './ws-route.ts';

describe('pathOf', () => {
  it.each([
    ['http://127.0.0.1:8080/ws/abc', '/ws/abc'],
    ['http://127.0.0.1:8080/ws/abc?access_token=t', '/ws/abc'],
    ['http://h/ws/a%2Fb', '/ws/a%2Fb'],
    ['http://[::1]:8080/ws/x#frag', '/ws/x'],
    ['https://h.example/ws/x?y#z', '/ws/x'],
    ['http://h', '/'],
    ['http://h/?q=1', '/'],
    ['http://user:pass@h:1/ws/s', '/ws/s'],
  ])('%s → %s', (url, path) => {
    expect(pathOf(url)).toBe(path);
    // What the URL parser says, for URLs it leaves as they are.
    expect(new URL(url).pathname).toBe(path);
  });
});

describe('targetOf', () => {
  it.each([
    ['http://127.0.0.1:8080/ws/abc?access_token=t', '/ws/abc?access_token=t'],
    ['http://h/ws/a%2Fb', '/ws/a%2Fb'],
    ['http://[::1]:8080/ws/x#frag', '/ws/x#frag'],
    ['http://h', '/'],
    ['http://h?q=1', '/?q=1'],
    ['http://user:pass@h:1/ws/s', '/ws/s'],
  ])('%s → %s', (url, target) => {
    expect(targetOf(url)).toBe(target);
  });
});
