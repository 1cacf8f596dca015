import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAgent, type MockAgentServer } from '../src/index.ts';
import { STREAM_PATH, parseLfEvents, toolResult, userMessage } from './helpers.ts';

type Event = { type: string; content?: string; [key: string]: unknown };

let agent: MockAgentServer;
beforeAll(async () => {
  agent = await startMockAgent({ port: 0, tokenDelayMs: 0 });
});
afterAll(async () => {
  await agent?.close();
});

async function turn(body: string): Promise<{ text: string; events: Event[] }> {
  const res = await fetch(`${agent.url}${STREAM_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const events = parseLfEvents(await res.text()) as Event[];
  const text = events
    .filter((e) => e.type === 'token')
    .map((e) => e.content)
    .join('');
  return { text, events };
}

const PACKAGE_JSON = `${JSON.stringify({ name: '@acme/widget', version: '2.3.4', private: true }, null, 2)}\n`;

describe('the default agent', () => {
  it('streams a reply several tokens long, then done with usage', async () => {
    const { text, events } = await turn(userMessage('hello there'));
    expect(text).toMatch(/mock coding agent/);
    expect(text).toContain('read package.json');
    const tokens = events.filter((e) => e.type === 'token');
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.every((t) => t.content!.length <= 8)).toBe(true);
    expect(events.at(-1)).toEqual({
      type: 'done',
      finish_reason: 'stop',
      usage: { input_tokens: expect.any(Number), output_tokens: tokens.length },
    });
  });

  it('is deterministic', async () => {
    const a = await turn(userMessage('hello there'));
    const b = await turn(userMessage('hello there'));
    expect(a.events).toEqual(b.events);
  });

  it('read_file round trip: tool_call, then an answer with the package name and line count', async () => {
    const first = await turn(userMessage('read package.json'));
    expect(first.text).toBe('Let me read `package.json`.');
    const call = first.events.find((e) => e.type === 'tool_call')!;
    expect(call).toEqual({ type: 'tool_call', tool_call_id: expect.stringMatching(/^call_\d+$/), name: 'read_file', arguments: { path: 'package.json' } });
    expect(first.events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'tool_calls' });
    expect(first.events.findIndex((e) => e.type === 'tool_call')).toBe(first.events.length - 2);

    const second = await turn(toolResult(call.tool_call_id as string, PACKAGE_JSON));
    expect(second.text).toBe('`package.json` has 5 lines. It describes the package `@acme/widget`, version 2.3.4.');
    expect(second.events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop', usage: { output_tokens: expect.any(Number) } });
    expect(second.events.some((e) => e.type === 'tool_call')).toBe(false);
  });

  it('read_file of another file: line count and first line', async () => {
    const first = await turn(userMessage('show me README.md'));
    const call = first.events.find((e) => e.type === 'tool_call')!;
    expect(call).toMatchObject({ name: 'read_file', arguments: { path: 'README.md' } });
    const second = await turn(toolResult(call.tool_call_id as string, '# Agent Gateway\n\nA relay.\n'));
    expect(second.text).toBe('`README.md` has 3 lines. The first line is: # Agent Gateway');
  });

  it('list_dir round trip: count and the first entries with their types', async () => {
    const first = await turn(userMessage('list files in apps'));
    expect(first.text).toBe('Let me look inside `apps`.');
    const call = first.events.find((e) => e.type === 'tool_call')!;
    expect(call).toMatchObject({ name: 'list_dir', arguments: { path: 'apps' } });
    const entries = [
      { name: 'gateway', type: 'dir' },
      { name: 'mock-agent', type: 'dir' },
      { name: 'README.md', type: 'file' },
    ];
    const second = await turn(toolResult(call.tool_call_id as string, entries));
    expect(second.text).toBe('`apps` has 3 entries (2 folders, 1 file): gateway (dir), mock-agent (dir), README.md (file).');
  });

  it("what's in src: list_dir", async () => {
    const first = await turn(userMessage("what's in src?"));
    expect(first.events.find((e) => e.type === 'tool_call')).toMatchObject({ name: 'list_dir', arguments: { path: 'src' } });
  });

  it('is_error: the answer quotes the error the tool reported', async () => {
    const first = await turn(userMessage('read secrets.txt'));
    const call = first.events.find((e) => e.type === 'tool_call')!;
    const second = await turn(toolResult(call.tool_call_id as string, 'ENOENT: no such file', { is_error: true }));
    expect(second.text).toBe('The tool reported an error: ENOENT: no such file. Ask me for another file or folder.');
    expect(second.events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
  });

  it('a tool_result for a call it did not issue is read by its shape', async () => {
    const { text } = await turn(toolResult('elsewhere', [{ name: 'a.ts', type: 'file' }]));
    expect(text).toBe('The folder has 1 entry (0 folders, 1 file): a.ts (file).');
  });

  it('tool call ids are unique', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      const { events } = await turn(userMessage('read package.json'));
      ids.add(events.find((e) => e.type === 'tool_call')!.tool_call_id);
    }
    expect(ids.size).toBe(3);
  });

  it('pauses tokenDelayMs between tokens', async () => {
    const slowAgent = await startMockAgent({ port: 0, tokenDelayMs: 20 });
    try {
      const startedAt = performance.now();
      const res = await fetch(`${slowAgent.url}${STREAM_PATH}`, { method: 'POST', body: userMessage('read package.json') });
      const events = parseLfEvents(await res.text()) as Event[];
      // Six tokens and the tool call: six pauses.
      expect(events.filter((e) => e.type === 'token')).toHaveLength(6);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(6 * 20 - 5);
    } finally {
      await slowAgent.close();
    }
  });
});
