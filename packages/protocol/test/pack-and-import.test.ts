import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Packs the package as it would be published, installs the tarball in a
// project outside the workspace (so nothing resolves through pnpm's links),
// then runs it with node and type-checks it with tsc (NodeNext).

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(packageDir, 'node_modules', '.bin', 'tsc');
// pnpm at the repository's pinned version, through npx as the README runs it: none need be on PATH.
const rootManifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { packageManager: string };

const CONSUMER_MJS = `
import { CloseCode, DEFAULT_LIMITS, parseAgentEvent, parseClientMessage, parseServerFrame } from '@agent-gateway/protocol';
import { buildAsyncApiDocument } from '@agent-gateway/protocol/documents';
import openapi from '@agent-gateway/protocol/generated/openapi.json' with { type: 'json' };

const frame = parseClientMessage('{"type":"tool_result","tool_call_id":"c1","result":null,"x":1}');
const event = parseAgentEvent('{"type":"token","content":5}');
console.log(JSON.stringify({
  frame,
  eventOk: event.ok,
  server: parseServerFrame('{"type":"pong","id":"p","request_id":"r","seq":3}'),
  limit: DEFAULT_LIMITS.max_message_bytes,
  close: CloseCode.SESSION_TAKEN_OVER,
  asyncapi: buildAsyncApiDocument().asyncapi,
  openapi: openapi.openapi,
}));
`;

const CONSUMER_TS = `
import { CloseCode, parseClientMessage, parseServerFrame, type KnownServerFrame } from '@agent-gateway/protocol';
import { buildOpenApiDocument } from '@agent-gateway/protocol/documents';

const parsed = parseClientMessage('{"type":"ping"}');
if (parsed.ok && parsed.message.type === 'tool_result') {
  const result: unknown = parsed.message.result;
  console.log(result);
}
export const describeFrame = (frame: KnownServerFrame): string =>
  frame.type === 'token' ? frame.content : frame.type === 'done' ? frame.finish_reason : frame.type;
const received = parseServerFrame('{}');
if (received.ok && received.known) console.log(describeFrame(received.frame));
const takenOver: 4001 = CloseCode.SESSION_TAKEN_OVER;
const doc: { [key: string]: unknown } = buildOpenApiDocument();
// @ts-expect-error -- proves the types resolved: with \`any\` this line would not be an error.
const wrong: number = buildOpenApiDocument();
console.log(takenOver, doc, wrong);
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: [],
  },
  files: ['use.ts'],
};

describe('the packed package', () => {
  it('installs outside the workspace, imports with node and type-checks with tsc', { timeout: 120_000 }, async () => {
    const temp = await mkdtemp(join(tmpdir(), 'agent-gateway-protocol-pack-'));
    try {
      // `prepack` builds dist/ first.
      await run('npx', ['-y', rootManifest.packageManager, 'pack', '--pack-destination', temp], { cwd: packageDir });
      const tarballs = (await readdir(temp)).filter((name) => name.endsWith('.tgz'));
      expect(tarballs).toHaveLength(1);

      const project = join(temp, 'consumer');
      await mkdir(project);
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(temp, tarballs[0]!)], {
        cwd: project,
      });

      const installed = join(project, 'node_modules', '@agent-gateway', 'protocol');
      const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
      expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
      expect(manifest.exports['./documents']).toEqual({ types: './dist/documents/index.d.ts', default: './dist/documents/index.js' });
      expect(JSON.stringify(manifest.exports)).not.toContain('src/');
      const files = await readdir(installed, { recursive: true });
      expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'generated/openapi.json', 'README.md']));
      expect(files.filter((file) => file.startsWith('src') || file.includes('.test'))).toEqual([]);
      // zod comes along as a dependency, not from the workspace.
      expect(JSON.parse(await readFile(join(project, 'node_modules', 'zod', 'package.json'), 'utf8')).version).toBe('4.6.7');

      await writeFile(join(project, 'use.mjs'), CONSUMER_MJS);
      const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project });
      expect(JSON.parse(stdout)).toEqual({
        frame: { ok: true, message: { type: 'tool_result', tool_call_id: 'c1', result: null, x: 1 } },
        eventOk: false,
        server: { ok: true, known: false, frame: { type: 'pong', id: 'p', request_id: 'r', seq: 3 } },
        limit: 1_048_576,
        close: 4001,
        asyncapi: '3.0.0',
        openapi: '3.2.0',
      });

      await writeFile(join(project, 'use.ts'), CONSUMER_TS);
      await writeFile(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
      const typecheck = await run(tsc, ['-p', 'tsconfig.json'], { cwd: project }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(typecheck).toBe('');
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });

  it('refuses to be packed by npm, whose tarball would point at src/ files it does not ship', { timeout: 60_000 }, async () => {
    // npm reads its user agent from npm_config_user_agent, which `pnpm exec` running this test sets.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_config_')));
    const failure = await run('npm', ['pack', '--dry-run'], { cwd: packageDir, env }).then(
      () => undefined,
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    expect(failure).toContain('pack it with `pnpm pack`');
  });
});
