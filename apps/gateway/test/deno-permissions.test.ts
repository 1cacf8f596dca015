import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_NAMES } from '../src/config.ts';
import { startScript } from './support/gateway-process.ts';

describe('start:deno', () => {
  it('grants the network and the gateway\'s own variables, nothing else (no -A, no read, no sys)', () => {
    const [deno, ...args] = startScript('start:deno');
    expect(deno).toMatch(/(^|\/)deno$/);
    expect(args).toEqual(['run', '--allow-net', `--allow-env=${CONFIG_ENV_NAMES.join(',')}`, 'src/main.deno.ts']);
  });
});
