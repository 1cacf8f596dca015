import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gateway',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The gateway processes the tests start run the built dist/main.node.mjs, as `pnpm start` does.
    globalSetup: ['test/support/build-gateway.ts'],
    testTimeout: 30000,
    hookTimeout: 60000,
  },
});
