#!/usr/bin/env node
// Builds the Node gateway into one ES module, dist/main.node.mjs (with its source map), as
// production runs it: plain JavaScript, no TypeScript loader in the process. The gateway's
// own code and the protocol package are bundled; its dependencies stay in node_modules.
// Deno runs src/main.deno.ts as it is.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${appDir}/package.json`, 'utf8'));
// Workspace packages export TypeScript sources: those are bundled, everything else is imported at run time.
const external = Object.keys(pkg.dependencies).filter((name) => !pkg.dependencies[name].startsWith('workspace:'));
// A bundled workspace package's imports of those resolve to the gateway's copies at run time: the
// versions must be the ones it was written and tested against (one `zod` for the schemas and the gateway).
const require = createRequire(import.meta.url);
for (const [name, spec] of Object.entries(pkg.dependencies)) {
  if (!spec.startsWith('workspace:')) continue;
  const bundled = JSON.parse(readFileSync(`${appDir}/node_modules/${name}/package.json`, 'utf8'));
  for (const [dep, version] of Object.entries(bundled.dependencies ?? {})) {
    if (external.includes(dep) && pkg.dependencies[dep] !== version) {
      console.error(`build: ${name} depends on ${dep} ${version}, the gateway on ${dep} ${pkg.dependencies[dep]}; the bundle would run ${name} on the gateway's copy. Pin the same version in both package.json files.`);
      process.exit(1);
    }
  }
}

// Built beside dist/ (the source map's paths are relative to its folder), then moved in:
// a gateway starting while another build runs (a test, `pnpm start`) never reads half a file.
const staging = `.build-${process.pid}`;
try {
  // esbuild's command, waited for: its JavaScript API keeps a service process that outlives this
  // script, and a process manager (or `pnpm start`'s cleanup) would find it left in the group.
  execFileSync(
    require.resolve('esbuild/bin/esbuild'),
    [
      'src/main.node.ts',
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20.19',
      `--outfile=${staging}/main.node.mjs`,
      '--sourcemap',
      '--log-level=warning',
      ...external.map((name) => `--external:${name}`),
    ],
    { cwd: appDir, stdio: 'inherit' },
  );
  mkdirSync(`${appDir}/dist`, { recursive: true });
  renameSync(`${appDir}/${staging}/main.node.mjs.map`, `${appDir}/dist/main.node.mjs.map`);
  renameSync(`${appDir}/${staging}/main.node.mjs`, `${appDir}/dist/main.node.mjs`);
} finally {
  rmSync(`${appDir}/${staging}`, { recursive: true, force: true });
}
