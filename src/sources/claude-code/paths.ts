/**
 * Where Claude Code keeps its transcripts. Like the client: `CLAUDE_CONFIG_DIR` (comma-separated,
 * every valid root merged) replaces the defaults `~/.claude` and `~/.config/claude`; extra folders
 * come from `taximeter.claudeCode.configDirs` or the CLI's `--claude-dir`.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export interface ClaudeRootOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  extraDirs?: readonly string[];
  /** When given (CLI `--claude-dir`), only these roots are read. */
  onlyDirs?: readonly string[];
  /** Connect's spool folder (hooks, status line, telemetry), read with the transcripts when it exists. */
  spoolDir?: string;
}

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

/** Candidate config roots, de-duplicated, in priority order (they need not exist). */
export function claudeConfigRoots(options: ClaudeRootOptions = {}): string[] {
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  const roots: string[] = [];
  if (options.onlyDirs && options.onlyDirs.length > 0) {
    roots.push(...options.onlyDirs);
  } else {
    const fromEnv = (env.CLAUDE_CONFIG_DIR ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (fromEnv.length > 0) roots.push(...fromEnv);
    else roots.push(path.join(home, '.claude'), path.join(home, '.config', 'claude'));
    roots.push(...(options.extraDirs ?? []));
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of roots) {
    const abs = path.resolve(expandHome(r, home));
    if (!seen.has(abs)) {
      seen.add(abs);
      out.push(abs);
    }
  }
  return out;
}

/** The folder holding per-project transcript folders. */
export function projectsDir(root: string): string {
  return path.join(root, 'projects');
}

/** Decode a project folder name (`-home-user-proj`) for display when no cwd was recorded. */
export function projectFromDirName(dirName: string): string {
  return dirName.replace(/-/g, '/');
}
