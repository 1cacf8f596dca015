import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'mock-agent',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
