/**
 * Root options every agent source takes: the environment and home folder to resolve its default
 * folders from (tests and the CLI point them elsewhere), extra folders, or only given folders.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export interface RootOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Added to the defaults. */
  extraDirs?: readonly string[];
  /** When given and non-empty, only these roots are read. */
  onlyDirs?: readonly string[];
}

export function envOf(options: RootOptions): NodeJS.ProcessEnv {
  return options.env ?? process.env;
}

export function homeOf(options: RootOptions): string {
  return options.home ?? os.homedir();
}

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

/** `onlyDirs`, else the defaults plus `extraDirs`; resolved, de-duplicated, in order. */
export function resolveRoots(options: RootOptions, defaults: readonly string[]): string[] {
  const home = homeOf(options);
  const wanted = options.onlyDirs && options.onlyDirs.length > 0 ? options.onlyDirs : [...defaults, ...(options.extraDirs ?? [])];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of wanted) {
    const abs = path.resolve(expandHome(r, home));
    if (!seen.has(abs)) {
      seen.add(abs);
      out.push(abs);
    }
  }
  return out;
}
