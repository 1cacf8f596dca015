import { describe, expect, it } from 'vitest';
import { membersWithout } from './json-members.ts';

const DROP = new Set(['request_id', 'seq']);
const rebuilt = (text: string, drop: ReadonlySet<string> = DROP) => `{${membersWithout(text, drop)}}`;
/** How many top-level members `members` holds (each object and array counted whole). */
const membersCount = (members: string) => countTopLevel(`{${members}}`);
function countTopLevel(text: string): number {
  let count = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ':' && depth === 1) count++;
  }
  return count;
}

describe('membersWithout', () => {
  it('keeps every member as written, numbers digit for digit, and leaves out the dropped ones', () => {
    const text = '{"type":"tool_call","seq":9,"arguments":{"id":1234567890123456789,"f":1.0,"e":1e3,"z":-0},"request_id":"agent-own"}';
    expect(membersWithout(text, DROP)).toBe('"type":"tool_call","arguments":{"id":1234567890123456789,"f":1.0,"e":1e3,"z":-0}');
  });

  it('reads names decoded, strings with escaped quotes and brackets, nesting of any depth, and JSON whitespace anywhere', () => {
    const depth = 100_000;
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const text = ` \r\n{ "se\\u0071" : 1 ,\t"a\\"b" : "x\\\\\\"}]{[" , "deep": ${deep} , "request\\u005fid":"r", "n" : null , "t":true,"f":false}\n`;
    expect(rebuilt(text)).toBe(`{"a\\"b" : "x\\\\\\"}]{[","deep": ${deep},"n" : null,"t":true,"f":false}`);
  });

  it('keeps the last member of a name given twice, the one JSON.parse keeps: the IDE reads what the gateway read', () => {
    expect(membersWithout('{"type":"done","finish_reason":"stop","type":"progress"}', DROP)).toBe('"finish_reason":"stop","type":"progress"');
    expect(membersWithout('{"type":"error","source":"gateway","code":"c","source":"agent"}', DROP)).toBe('"type":"error","code":"c","source":"agent"');
    // Nested objects are the agent's data, relayed as written.
    expect(membersWithout('{"type":"x","a":{"k":1,"k":2}}', DROP)).toBe('"type":"x","a":{"k":1,"k":2}');
  });

  it('drops every member of a dropped name (a name given twice), and may leave none', () => {
    expect(membersWithout('{"seq":1,"type":"x","seq":2}', DROP)).toBe('"type":"x"');
    expect(membersWithout('{"seq":1}', DROP)).toBe('');
    expect(membersWithout('{}', DROP)).toBe('');
    expect(membersWithout('{ }', DROP)).toBe('');
  });

  it('agrees with JSON.parse on random objects, spacing and escapes included', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const space = () => pick(['', '', ' ', '\n', '\t ', '\r\n  ']);
    const names = ['type', 'seq', 'request_id', 'content', 'a"b', 'x\\y', '}', ']', ',', 'é', '\u2028', ''];
    const name = () => {
      const plain = pick(names);
      // Sometimes spelled with every character escaped: the same name.
      return random() < 0.2 ? `"${[...plain].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(plain);
    };
    const value = (depth: number): string => {
      const kind = depth > 3 ? pick(['n', 's', 'l']) : pick(['n', 's', 'l', 'o', 'a']);
      switch (kind) {
        case 'n':
          return pick(['0', '-1', '1.50', '1e3', '12345678901234567890', '-0.0e-7']);
        case 's':
          return JSON.stringify(pick(['', 'a', '"', '\\', '{[,]}', 'x\\"y', '\n']));
        case 'l':
          return pick(['true', 'false', 'null']);
        case 'o':
          return object(depth + 1);
        default:
          return `[${space()}${Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1)).join(`${space()},${space()}`)}${space()}]`;
      }
    };
    const object = (depth: number) => `{${space()}${Array.from({ length: Math.floor(random() * 5) }, () => `${name()}${space()}:${space()}${value(depth)}`).join(`${space()},${space()}`)}${space()}}`;
    for (let i = 0; i < 2000; i++) {
      const text = `${space()}${object(0)}${space()}`;
      const expected = JSON.parse(text) as Record<string, unknown>;
      for (const dropped of DROP) delete expected[dropped];
      expect(JSON.parse(rebuilt(text))).toEqual(expected);
      // No top-level name twice (JSON.parse would hide it).
      const members = membersWithout(text, DROP);
      const names = members === '' ? [] : Object.keys(JSON.parse(`{${members}}`) as object);
      expect(new Set(names).size).toBe(membersCount(members));
      // Nothing of the text is rewritten: a number's digits are never those of a double.
      expect(rebuilt(text)).not.toContain('12345678901234567000');
    }
  });
});
