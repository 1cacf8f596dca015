import { agentErrorSuite } from './agent-errors.suite.ts';
import { authSuite } from './auth.suite.ts';
import { operationsSuite } from './operations.suite.ts';
import { relaySuite } from './relay.suite.ts';
import { turnsSuite } from './turns.suite.ts';

// The same end-to-end suite, run here against the gateway started on Deno (`start:deno`).
relaySuite('deno');
agentErrorSuite('deno');
turnsSuite('deno');
operationsSuite('deno');
authSuite('deno');
