import { defineConfig } from 'vitest/config';

// CI asks for vitest's JSON report (.ci/run prints the closing line from it).
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'bench'],
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
