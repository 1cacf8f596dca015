import { expect } from 'vitest';
import type { z } from 'zod';

/** Parses `value` and returns the data; fails the test with zod's issues when refused. */
export function expectAccepted<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) expect.fail(`expected ${JSON.stringify(value)} to be accepted: ${JSON.stringify(result.error.issues)}`);
  return result.data;
}

/** Asserts that `value` is refused with an issue at `path`; returns that issue's message. */
export function expectRefused(schema: z.ZodType, value: unknown, path: (string | number)[]): string {
  const result = schema.safeParse(value);
  if (result.success) return expect.fail(`expected ${JSON.stringify(value)} to be refused`);
  const issue = result.error.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));
  if (!issue) return expect.fail(`no issue at ${JSON.stringify(path)}: ${JSON.stringify(result.error.issues)}`);
  return issue.message;
}
