import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const build = (): void => void execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });

/**
 * vitest global setup: builds dist/main.node.mjs, as `pnpm start` does, so
 * the tests that start a gateway process run the JavaScript production runs;
 * again before each re-run in watch mode, so they run the sources as edited.
 */
export default function buildGateway(project: TestProject): void {
  build();
  project.onTestsRerun(build);
}
