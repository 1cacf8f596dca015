import { describe, it } from 'vitest';
import { expectAccepted, expectRefused } from '../test/schema-assertions.ts';
import { ListDirArgumentsSchema, ListDirResultSchema, ReadFileArgumentsSchema, ReadFileResultSchema } from './tools.ts';

describe('tool vocabulary', () => {
  it('read_file takes {path} and answers text', () => {
    expectAccepted(ReadFileArgumentsSchema, { path: 'src/index.ts' });
    expectRefused(ReadFileArgumentsSchema, { path: '' }, ['path']);
    expectRefused(ReadFileArgumentsSchema, {}, ['path']);
    expectAccepted(ReadFileResultSchema, 'export {};\n');
  });

  it('list_dir takes {path} and answers [{name, type}]', () => {
    expectAccepted(ListDirArgumentsSchema, { path: '.' });
    expectAccepted(ListDirResultSchema, [
      { name: 'src', type: 'dir' },
      { name: 'README.md', type: 'file' },
    ]);
    expectRefused(ListDirResultSchema, [{ name: 'x', type: 'link' }], [0, 'type']);
  });
});
