import { afterAll, beforeAll } from 'vitest';
import { startMockAgent } from '@agent-gateway/mock-agent';
import { startGateway, type GatewayProcess, type Runtime } from './gateway-process.ts';
import { connect, type TestClient } from './ws-client.ts';

export type MockAgent = Awaited<ReturnType<typeof startMockAgent>>;
export type RequestRecord = MockAgent['requests'][number];

export const INTERNAL_KEY = 'internal-key-7f3a9c-SHOULD-NEVER-LEAK';

export interface Env {
  gateway: GatewayProcess;
  agent: MockAgent;
  connect(sessionId?: string): Promise<TestClient>;
}

let sessionCounter = 0;
export const uniqueSession = (prefix = 's') => `${prefix}-${process.pid}-${++sessionCounter}`;
let requestCounter = 0;
export const uniqueRequest = (prefix = 'r') => `${prefix}-${++requestCounter}`;

/** Starts a mock agent and a gateway process for the tests of one `describe`, stopped after them. */
export function useGateway(runtime: Runtime, env: Record<string, string> = {}, agentOptions: { apiKey?: string } = { apiKey: INTERNAL_KEY }): Env {
  const holder = {} as { gateway: GatewayProcess; agent: MockAgent };
  const clients: TestClient[] = [];
  beforeAll(async () => {
    holder.agent = await startMockAgent({ port: 0, host: '127.0.0.1', tokenDelayMs: 1, ...agentOptions });
    try {
      holder.gateway = await startGateway(runtime, {
        GATEWAY__AGENT_URL: holder.agent.url,
        GATEWAY__INTERNAL_API_KEY: INTERNAL_KEY,
        GATEWAY__LOG_LEVEL: 'debug',
        ...env,
      });
    } catch (error) {
      await holder.agent.close();
      throw error;
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    try {
      await holder.gateway?.stop('SIGKILL');
    } finally {
      await holder.agent?.close();
    }
  });
  return {
    get gateway() {
      return holder.gateway;
    },
    get agent() {
      return holder.agent;
    },
    async connect(sessionId = uniqueSession()) {
      const client = await connect(holder.gateway.wsUrl(sessionId));
      clients.push(client);
      return client;
    },
  };
}

/** Resolves with the first request matching, as soon as the mock agent records it. */
export function agentRequest(agent: MockAgent, predicate: (r: RequestRecord) => boolean, timeoutMs = 10_000): Promise<RequestRecord> {
  return agent.recorder.waitFor((rec) => rec.requests.find(predicate), timeoutMs);
}

export const byRequestId = (id: string) => (r: RequestRecord) => r.headers['x-request-id'] === id;

/** Runs `fn` with a gateway of its own, always stopped afterwards. */
export async function withGateway<T>(
  runtime: Runtime,
  agent: MockAgent | { url: string },
  env: Record<string, string>,
  fn: (gateway: GatewayProcess) => Promise<T>,
): Promise<T> {
  const gateway = await startGateway(runtime, { GATEWAY__AGENT_URL: agent.url, GATEWAY__INTERNAL_API_KEY: INTERNAL_KEY, ...env });
  try {
    return await fn(gateway);
  } finally {
    await gateway.stop('SIGKILL');
  }
}

/** Runs `fn` with a mock agent of its own, always closed afterwards. */
export async function withAgent<T>(fn: (agent: MockAgent) => Promise<T>, options: { apiKey?: string } = { apiKey: INTERNAL_KEY }): Promise<T> {
  const agent = await startMockAgent({ port: 0, host: '127.0.0.1', tokenDelayMs: 1, ...options });
  try {
    return await fn(agent);
  } finally {
    await agent.close();
  }
}

export const scenario = (name: string, params: Record<string, unknown> = {}) => ({ metadata: { scenario: { name, ...params } } });
