// The default agent's sentences. Pure functions of the tool result, so a test
// can predict every word.

export const GREETING =
  "Hi! I'm the mock coding agent. I can look at your workspace: ask me to read a file " +
  '("read package.json", "show me README.md") or to list a folder ("list files in apps", "what\'s in src").';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const quote = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Lines as an editor counts them: a final line break does not start another line. */
export function countLines(text: string): number {
  if (text === '') return 0;
  const lines = text.split(/\r\n|\r|\n/);
  return lines.at(-1) === '' ? lines.length - 1 : lines.length;
}

export const beforeReadFile = (path: string) => `Let me read \`${path}\`.`;
export const beforeListDir = (path: string) => `Let me look inside \`${path}\`.`;

const packageIdentity = (text: string): { name: string; version?: string } | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const { name, version } = value as Record<string, unknown>;
    if (typeof name !== 'string') return undefined;
    return typeof version === 'string' ? { name, version } : { name };
  } catch {
    return undefined;
  }
};

/** For a JSON file with a string `name` (a package.json): the name and version; otherwise the first line. */
export function describeFile(path: string | undefined, text: string): string {
  const label = path === undefined ? 'The file' : `\`${path}\``;
  const lines = countLines(text);
  if (lines === 0) return `${label} is empty.`;
  const head = `${label} has ${plural(lines, 'line')}.`;
  const pkg = packageIdentity(text);
  if (pkg) return `${head} It describes the package \`${pkg.name}\`${pkg.version ? `, version ${pkg.version}` : ''}.`;
  const first = text.split(/\r\n|\r|\n/, 1)[0] ?? '';
  return first.trim() === '' ? `${head} Its first line is blank.` : `${head} The first line is: ${quote(first)}`;
}

const entryLabel = (entry: unknown): string => {
  if (typeof entry === 'object' && entry !== null && 'name' in entry) {
    const { name, type } = entry as { name: unknown; type?: unknown };
    return typeof type === 'string' ? `${String(name)} (${type})` : String(name);
  }
  return typeof entry === 'string' ? entry : JSON.stringify(entry);
};

const entryType = (entry: unknown): unknown =>
  typeof entry === 'object' && entry !== null ? (entry as { type?: unknown }).type : undefined;

/** The number of entries, how many are folders and files, and the first five with their types. */
export function describeFolder(path: string | undefined, entries: readonly unknown[], shown = 5): string {
  const label = path === undefined ? 'The folder' : `\`${path}\``;
  if (entries.length === 0) return `${label} is empty.`;
  const dirs = entries.filter((e) => entryType(e) === 'dir').length;
  const files = entries.filter((e) => entryType(e) === 'file').length;
  const kinds = dirs + files > 0 ? ` (${plural(dirs, 'folder')}, ${plural(files, 'file')})` : '';
  const first = entries.slice(0, shown).map(entryLabel).join(', ');
  const rest = entries.length > shown ? `, and ${entries.length - shown} more` : '';
  return `${label} has ${plural(entries.length, 'entry', 'entries')}${kinds}: ${first}${rest}.`;
}

export function describeToolError(result: unknown): string {
  const message = typeof result === 'string' ? result : JSON.stringify(result);
  return `The tool reported an error: ${quote(message ?? 'null', 200)}. Ask me for another file or folder.`;
}

export function describeOtherResult(name: string | undefined, result: unknown): string {
  const json = JSON.stringify(result) ?? 'null';
  return `${name ? `The ${name} tool` : 'The tool'} returned ${quote(json, 200)}.`;
}
