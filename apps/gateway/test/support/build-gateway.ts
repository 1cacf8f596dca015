import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: builds dist/main.node.mjs once, as `pnpm start` does,
 * so the tests that start a gateway process run the JavaScript production runs.
 */
export default function buildGateway(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
}
