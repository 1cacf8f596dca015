import type { Scenario } from '../scenario.ts';
import { dataAfterDone, neverEndAfterDone } from './after-done.ts';
import { agentError } from './agent-error.ts';
import { byteChunks } from './byte-chunks.ts';
import { cutStream } from './cut-stream.ts';
import { defaultAgent } from './default-agent.ts';
import { echo } from './echo.ts';
import { hangAfterHeaders, hangBeforeHeaders } from './hang.ts';
import { malformedJson, noType, nonObject, wrongField } from './invalid-events.ts';
import { largeEvent } from './large-event.ts';
import { lineEndings } from './line-endings.ts';
import { multilineData } from './multiline-data.ts';
import { resetBeforeHeaders } from './reset-before-headers.ts';
import { slow } from './slow.ts';
import { sseFields } from './sse-fields.ts';
import { status } from './status.ts';
import { ticks } from './ticks.ts';
import { tokens } from './tokens.ts';
import { toolCall } from './tool-call.ts';
import { unknownEvent } from './unknown-event.ts';
import { wrongContentType } from './wrong-content-type.ts';

export { defaultAgent };

const ALL: Scenario<any>[] = [
  defaultAgent,
  tokens,
  slow,
  toolCall,
  agentError,
  status,
  wrongContentType,
  malformedJson,
  nonObject,
  noType,
  wrongField,
  resetBeforeHeaders,
  cutStream,
  hangAfterHeaders,
  hangBeforeHeaders,
  dataAfterDone,
  neverEndAfterDone,
  multilineData,
  lineEndings,
  byteChunks,
  sseFields,
  unknownEvent,
  largeEvent,
  echo,
  ticks,
];

/** Every scenario by name; `default` is the built-in agent. */
export const SCENARIOS: ReadonlyMap<string, Scenario<any>> = new Map(ALL.map((s) => [s.name, s]));
export const SCENARIO_NAMES: readonly string[] = ALL.map((s) => s.name);
