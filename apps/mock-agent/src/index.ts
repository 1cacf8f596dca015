export { createMockAgentApp, AGENT_STREAM_PATH, type MockAgentAppOptions } from './app.ts';
export { parseConfig, ConfigError, MockAgentEnvSchema, type MockAgentConfig } from './config.ts';
export { createRecorder, type Recorder, type RequestRecord, type ConnectionStats } from './recorder.ts';
export { startMockAgent, type StartMockAgentOptions, type MockAgentServer } from './server.node.ts';
export { SCENARIO_NAMES } from './scenarios/index.ts';
export { tokenText } from './events.ts';
export { createToolCallRegistry, type ToolCallRegistry, type IssuedToolCall } from './agent/tool-calls.ts';
export type { Scenario, ScenarioContext } from './scenario.ts';
export type { EventStreamWriter } from './event-stream.ts';
