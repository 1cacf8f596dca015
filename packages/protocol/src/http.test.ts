import { describe, expect, it } from 'vitest';
import { expectAccepted, expectRefused } from '../test/schema-assertions.ts';
import { HEALTH_OK, HealthResponseSchema } from './http.ts';

describe('GET /health body', () => {
  it('is {"status":"ok"}', () => {
    expect(JSON.stringify(expectAccepted(HealthResponseSchema, HEALTH_OK))).toBe('{"status":"ok"}');
    expectRefused(HealthResponseSchema, { status: 'ready' }, ['status']);
  });
});
