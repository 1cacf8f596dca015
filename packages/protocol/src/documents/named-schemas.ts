import { z } from 'zod';
import * as protocol from '../index.ts';

/**
 * Every schema the package exports with a `.meta({ id })`, keyed by that id
 * and sorted by it, so that generated documents do not depend on export order.
 * Read from the package's own exports rather than `z.globalRegistry`: the
 * global registry also holds whatever ids the importing application defines.
 */
export function namedSchemas(): Map<string, z.ZodType> {
  const byId = new Map<string, z.ZodType>();
  for (const value of Object.values(protocol)) {
    if (!(value instanceof z.ZodType)) continue;
    const id = z.globalRegistry.get(value)?.id;
    if (typeof id !== 'string') continue;
    const known = byId.get(id);
    if (known !== undefined && known !== value) throw new Error(`two protocol schemas share the id ${id}`);
    byId.set(id, value);
  }
  return new Map([...byId].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The `.meta({ id })` of a schema; throws when it has none. */
export function schemaId(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id !== 'string') throw new Error('schema has no .meta({ id })');
  return id;
}
