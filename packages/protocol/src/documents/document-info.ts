import { PROTOCOL_VERSION } from '../common.ts';

/** `info.version` of the generated documents: the wire protocol's version. */
export const DOCUMENT_VERSION = `${PROTOCOL_VERSION}.0.0`;

/** The gateway with its default `GATEWAY__HOST` / `GATEWAY__PORT`, as reached from the same machine. */
export const GATEWAY_SERVER = { url: 'http://localhost:8000', description: 'The gateway (`GATEWAY__PORT`, default 8000).' };

/** The agent runtime at the default `GATEWAY__AGENT_URL`. */
export const AGENT_SERVER = { url: 'http://127.0.0.1:8001', description: 'The agent runtime (`GATEWAY__AGENT_URL`).' };
