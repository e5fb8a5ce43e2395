/**
 * Directory walking for discovery: bounded depth, symlinks followed once (a loop is detected by
 * real path and reported), unreadable folders reported, missing roots simply empty.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceProblem } from './source';

export interface WalkOptions {
  maxDepth: number;
  /** Keep this file? */
  file(name: string, dir: string): boolean;
  /** Descend into this folder? */
  dir?(name: string, parent: string, depth: number): boolean;
}

export function walkFiles(root: string, options: WalkOptions, problems: SourceProblem[]): string[] {
  const out: string[] = [];
  const seenDirs = new Set<string>();
  /** `real`: the folder's real path when known (reached through real folders from a resolved one). */
  const visit = (dir: string, depth: number, knownReal?: string): void => {
    let real: string;
    try {
      real = knownReal ?? fs.realpathSync.native(dir);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || depth > 0) problems.push({ path: dir, message: `cannot resolve: ${String(error)}` });
      return;
    }
    if (seenDirs.has(real)) {
      problems.push({ path: dir, message: 'symlink loop or repeated folder skipped' });
      return;
    }
    seenDirs.add(real);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') problems.push({ path: dir, message: `cannot list: ${String(error)}` });
      return;
    }
    // Below the root a folder's path is already normal (joined here, or a real path), so a child's
    // is the two joined by a separator: path.join would only normalise it again (a fifth of
    // discovery). (A real path can be the file system's root, which ends with the separator.)
    const join = depth === 0 ? (base: string, name: string): string => path.join(base, name) : (base: string, name: string): string => (base.endsWith(path.sep) ? base + name : base + path.sep + name);
    for (const e of entries) {
      const full = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      const link = e.isSymbolicLink();
      if (link) {
        try {
          const st = fs.statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          problems.push({ path: full, message: 'broken symlink skipped' });
          continue;
        }
      }
      if (isDir) {
        // A real folder inside a resolved one is resolved too (one realpath per symlink, not per folder).
        if (depth < options.maxDepth && (!options.dir || options.dir(e.name, dir, depth + 1))) visit(full, depth + 1, link ? undefined : join(real, e.name));
      } else if (isFile && options.file(e.name, dir)) out.push(full);
    }
  };
  visit(root, 0);
  return out;
}
