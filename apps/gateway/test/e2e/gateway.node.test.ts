import { agentErrorSuite } from './agent-errors.suite.ts';
import { authSuite } from './auth.suite.ts';
import { operationsSuite } from './operations.suite.ts';
import { relaySuite } from './relay.suite.ts';
import { turnsSuite } from './turns.suite.ts';

// One end-to-end suite, run here against the gateway started on Node.
relaySuite('node');
agentErrorSuite('node');
turnsSuite('node');
operationsSuite('node');
authSuite('node');
