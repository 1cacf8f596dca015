import type { ToolName } from '@agent-gateway/protocol';

export interface ToolRequest {
  name: ToolName;
  path: string;
}

// Verbs that always mean "read this file", verbs that read a file-like path
// and list anything else, and verbs that always list.
const READ_VERBS = new Set(['read', 'cat']);
const SHOW_VERBS = new Set(['show', 'open', 'view', 'display', 'print', '__whats_in__']);
const LIST_VERBS = new Set(['list', 'ls']);
const FOLDER_WORDS = new Set(['files', 'folder', 'folders', 'directory', 'directories', 'dir', 'dirs', 'entries']);
const FILLER_WORDS = new Set([
  ...FOLDER_WORDS,
  'me', 'the', 'a', 'an', 'all', 'file', 'contents', 'content', 'of', 'in', 'inside', 'under', 'within', 'from', 'at',
  'please', 'everything', 'us', '__whats_in__', 'what', 'is', "what's", 'whats', 'that', 'this', 'for',
]);
const NOT_A_PATH = new Set(['it', 'about', 'more', 'something', 'anything', 'them', 'how', 'why', 'me', 'you']);
const EXTENSIONLESS_FILES = /^(makefile|dockerfile|license|licence|readme|changelog|procfile|gemfile|justfile)$/i;

const cleanWord = (word: string): string => {
  let w = word.replace(/^["'`“‘(]+|["'`”’)]+$/g, '');
  w = w.replace(/[?!,;:)"'`”’]+$/, '');
  // A sentence's final period, not a dotfile's or the current folder's.
  if (w.length > 1 && w.endsWith('.') && !/^\.+$/.test(w)) w = w.slice(0, -1);
  return w.replace(/["'`”’]+$/, '');
};

const looksLikeFile = (path: string): boolean => {
  if (path.endsWith('/')) return false;
  const base = path.split('/').pop() ?? path;
  return /\.[A-Za-z0-9]+$/.test(base) && base !== '.' && base !== '..' ? true : EXTENSIONLESS_FILES.test(base);
};

const isPathLike = (word: string): boolean => /^[\w.@~/+-]+$/.test(word) && /[\w.~]/.test(word) && !NOT_A_PATH.has(word.toLowerCase());

/**
 * Recognizes requests to look at a file or folder: "read package.json",
 * "show me README.md", "list files in apps", "what's in src", "ls". Returns
 * null for anything else.
 */
export function detectToolRequest(text: string): ToolRequest | null {
  const normalized = text.replace(/\bwhat(?:'|’)?s\s+(?=in(?:side)?\b)|\bwhat\s+is\s+(?=in(?:side)?\b)/gi, ' __whats_in__ ');
  const words = normalized.split(/\s+/).map(cleanWord).filter((w) => w.length > 0);
  for (let i = 0; i < words.length; i++) {
    const verb = words[i]!.toLowerCase();
    const reads = READ_VERBS.has(verb);
    const shows = SHOW_VERBS.has(verb);
    const lists = LIST_VERBS.has(verb);
    if (!reads && !shows && !lists) continue;
    let j = i + 1;
    let folderWord = false;
    while (j < words.length && FILLER_WORDS.has(words[j]!.toLowerCase())) {
      if (FOLDER_WORDS.has(words[j]!.toLowerCase())) folderWord = true;
      j++;
    }
    const candidate = words[j];
    const path = candidate !== undefined && isPathLike(candidate) ? candidate : undefined;
    if (lists) return { name: 'list_dir', path: path ?? '.' };
    if (path === undefined) {
      if (shows && folderWord) return { name: 'list_dir', path: '.' };
      continue;
    }
    if (reads) return { name: 'read_file', path };
    return { name: folderWord || !looksLikeFile(path) ? 'list_dir' : 'read_file', path };
  }
  return null;
}
