import { describe, expect, it } from 'vitest';
import { detectToolRequest } from './intent.ts';

describe('detectToolRequest', () => {
  it.each([
    ['read package.json', { name: 'read_file', path: 'package.json' }],
    ['Read `package.json`.', { name: 'read_file', path: 'package.json' }],
    ['Can you read apps/gateway/package.json please?', { name: 'read_file', path: 'apps/gateway/package.json' }],
    ['show me README.md', { name: 'read_file', path: 'README.md' }],
    ['open the file LICENSE', { name: 'read_file', path: 'LICENSE' }],
    ['cat .gitignore', { name: 'read_file', path: '.gitignore' }],
    ['list files in apps', { name: 'list_dir', path: 'apps' }],
    ['ls packages/protocol', { name: 'list_dir', path: 'packages/protocol' }],
    ['list the files', { name: 'list_dir', path: '.' }],
    ["what's in src", { name: 'list_dir', path: 'src' }],
    ['What is in src/?', { name: 'list_dir', path: 'src/' }],
    ["what's in package.json?", { name: 'read_file', path: 'package.json' }],
    ['show files in apps', { name: 'list_dir', path: 'apps' }],
    ['show me the folder src', { name: 'list_dir', path: 'src' }],
  ])('%j', (text, expected) => {
    expect(detectToolRequest(text)).toEqual(expected);
  });

  it.each(['hello', 'how do I read about streams?', 'show me how it works', 'read', 'thanks!'])('%j: no tool', (text) => {
    expect(detectToolRequest(text)).toBeNull();
  });
});
