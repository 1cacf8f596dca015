import { z } from 'zod';

// The tool vocabulary the mock agent uses and the demo IDE implements. Paths
// are relative to the IDE's workspace; `..` and absolute paths are the IDE's
// to refuse (it answers with `is_error: true`).

export const ReadFileArgumentsSchema = z
  .looseObject({ path: z.string().min(1) })
  .meta({ id: 'ReadFileArguments', description: '`read_file`: the result is the file’s text.' });
export type ReadFileArguments = z.infer<typeof ReadFileArgumentsSchema>;

export const ReadFileResultSchema = z.string().meta({ id: 'ReadFileResult' });

export const ListDirArgumentsSchema = z
  .looseObject({ path: z.string().min(1) })
  .meta({ id: 'ListDirArguments', description: '`list_dir`: the result lists the entries of a folder.' });
export type ListDirArguments = z.infer<typeof ListDirArgumentsSchema>;

export const DirEntrySchema = z
  .looseObject({ name: z.string(), type: z.enum(['file', 'dir']) })
  .meta({ id: 'DirEntry' });
export const ListDirResultSchema = z.array(DirEntrySchema).meta({ id: 'ListDirResult' });
export type DirEntry = z.infer<typeof DirEntrySchema>;

/** On failure the IDE sends `is_error: true` and the message as `result`. */
export const ToolErrorResultSchema = z.string().meta({ id: 'ToolErrorResult' });

export const TOOL_NAMES = ['read_file', 'list_dir'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];
