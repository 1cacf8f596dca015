import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONFIG_ENV_NAMES } from '../src/config.ts';
import { denoBinary, startScript } from './support/gateway-process.ts';

describe('start:deno', () => {
  it('grants the network and the gateway\'s own variables, nothing else (no -A, no read, no sys)', () => {
    const [deno, ...args] = startScript('start:deno');
    expect(deno).toMatch(/(^|\/)deno$/);
    expect(args).toEqual(['run', '--allow-net', `--allow-env=${CONFIG_ENV_NAMES.join(',')}`, 'src/main.deno.ts']);
  });

  it('a variable --allow-env does not grant stops start-up saying so, not as a value that is not UTF-8', () => {
    const granted = CONFIG_ENV_NAMES.filter((name) => name !== 'GATEWAY__AGENT_URL');
    const result = spawnSync(denoBinary(), ['run', '--allow-net', `--allow-env=${granted.join(',')}`, 'src/main.deno.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, GATEWAY__PORT: '0', GATEWAY__HOST: '127.0.0.1', GATEWAY__AGENT_URL: 'http://127.0.0.1:9' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('gateway: invalid configuration: GATEWAY__AGENT_URL cannot be read: run deno with --allow-env (README, Permissions)');
    expect(result.stdout).toBe('');
  });
});

