// `pnpm demo`: a scripted IDE conversation through a running gateway
// (`pnpm start` in another terminal; GATEWAY_URL=ws://host:port when it is not ws://localhost:8000). It sends a message, prints every frame,
// answers the agent's tool calls by really reading this repository's files,
// and prints the final answer.
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { CloseCode, isGatewayError, parseServerFrame, type KnownServerFrame } from '@agent-gateway/protocol';

const workspace = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const gatewayUrl = (process.env.GATEWAY_URL ?? 'ws://localhost:8000').replace(/^http/, 'ws').replace(/\/$/, '');
const packageManager = (JSON.parse(await readFile(join(workspace, 'package.json'), 'utf8')) as { packageManager: string }).packageManager;
const sessionId = `demo-${Date.now().toString(36)}`;
const prompts = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['Please read package.json', 'list files in apps'];

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** The IDE side of the tool vocabulary: paths stay inside the workspace. */
async function runTool(name: string, args: Record<string, unknown>): Promise<{ result: unknown; is_error?: true }> {
  const path = typeof args.path === 'string' ? args.path : '';
  if (path === '' || isAbsolute(path) || normalize(path).split(/[\\/]/).includes('..')) {
    return { result: `refused: ${JSON.stringify(path)} is not a path inside the workspace`, is_error: true };
  }
  const target = join(workspace, path);
  if (relative(workspace, target).startsWith('..')) return { result: `refused: ${path} leaves the workspace`, is_error: true };
  try {
    if (name === 'read_file') return { result: await readFile(target, 'utf8') };
    if (name === 'list_dir') {
      const entries = await readdir(target, { withFileTypes: true });
      return {
        result: entries
          .filter((e) => e.name !== 'node_modules' && !e.name.startsWith('.'))
          .map((e) => ({ name: e.name, type: e.isDirectory() ? 'dir' : 'file' })),
      };
    }
    return { result: `unknown tool ${name}`, is_error: true };
  } catch (error) {
    await stat(target).catch(() => undefined);
    return { result: (error as Error).message, is_error: true };
  }
}

const ws = new WebSocket(`${gatewayUrl}/ws/${sessionId}`);
ws.on('error', (error) => {
  console.error(
    `cannot reach the gateway at ${gatewayUrl}: ${error.message}\n` +
      `Start it first (npx -y ${packageManager} start, in another terminal), or set GATEWAY_URL to where it listens (ws://host:port).`,
  );
  process.exit(1);
});

let promptIndex = 0;
let toolResults = 0;
let answer = '';
// Every turn names its own request_id: the IDE then knows every id the gateway answers with.
const sendPrompt = () => {
  const content = prompts[promptIndex++]!;
  answer = '';
  console.log(`\n${bold('IDE  →')} user_message: ${JSON.stringify(content)}`);
  ws.send(JSON.stringify({ type: 'user_message', content, request_id: `prompt-${promptIndex}` }));
};

ws.on('message', async (data) => {
  const received = parseServerFrame(data.toString());
  if (!received.ok) {
    console.log(`${bold('unexpected frame:')} ${received.message}`);
    return;
  }
  console.log(dim(`  ← ${JSON.stringify(received.frame)}`));
  // An agent event of a type the protocol does not name: shown, nothing to do.
  if (received.known) await onFrame(received.frame);
});

async function onFrame(frame: KnownServerFrame): Promise<void> {
  switch (frame.type) {
    case 'session_started':
      console.log(`${bold('connected')} session ${sessionId}`);
      sendPrompt();
      break;
    case 'token':
      answer += frame.content;
      break;
    case 'tool_call': {
      const { tool_call_id, name, arguments: args } = frame;
      const outcome = await runTool(name, args);
      console.log(`${bold('IDE  →')} tool_result for ${name}(${JSON.stringify(args)})${outcome.is_error ? ' (error)' : ''}`);
      ws.send(JSON.stringify({ type: 'tool_result', tool_call_id, request_id: `tool-${++toolResults}`, ...outcome }));
      break;
    }
    case 'done':
      if (answer) console.log(`${bold('agent:')} ${answer}`);
      answer = '';
      if (frame.finish_reason === 'tool_calls') break;
      if (promptIndex < prompts.length) sendPrompt();
      else ws.close(CloseCode.NORMAL);
      break;
    case 'error':
      console.log(`${bold(isGatewayError(frame) ? 'gateway error:' : 'agent error:')} ${frame.code}: ${frame.message}`);
      ws.close(CloseCode.NORMAL);
      process.exitCode = 1;
      break;
  }
}
ws.on('close', () => console.log(`\n${bold('closed')}`));
