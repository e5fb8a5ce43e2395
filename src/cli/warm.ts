/**
 * The CLI's warm path: when nothing the last report read has changed, print that report again
 * without loading the engine. "Nothing changed" is checked, not assumed: every file read (size,
 * mtime, inode) and every folder walked (mtime: a new file or folder changes it) is stat'ed.
 * Only Node built-ins here, so the check costs a Node start and a few thousand stats.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as os from 'node:os';

export const warmCacheName = 'report-cache-v1.json';

export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.TAXIMETER_CACHE_DIR) return env.TAXIMETER_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'taximeter');
}

/** `--cache-dir DIR` / `--cache-dir=DIR` from raw arguments, else the default. */
export function cacheDirOf(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--cache-dir' && argv[i + 1]) return argv[i + 1] ?? '';
    if (a.startsWith('--cache-dir=')) return a.slice('--cache-dir='.length);
  }
  return defaultCacheDir(env);
}
const warmVersion = 1;

interface WarmCache {
  v: number;
  key: string;
  files: [string, number, number, number][];
  dirs: [string, number][];
  output: string;
}

/** What decides the output: the arguments and the environment the engine reads. */
export function warmKey(argv: readonly string[], env: NodeJS.ProcessEnv, version: string): string {
  const tz = env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const agentVars = ['CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'GEMINI_CLI_HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'APPDATA', 'CLINE_DATA_DIR', 'CLINE_DIR', 'CLINE_SESSION_DATA_DIR', 'HOME', 'USERPROFILE'];
  return JSON.stringify([version, argv, ...agentVars.map((v) => env[v] ?? ''), tz]);
}

/** Folders under the roots (bounded depth) with their mtimes, taken BEFORE a scan. */
export function snapshotDirs(roots: readonly string[], maxDepth = 4): [string, number][] {
  const out: [string, number][] = [];
  const seen = new Set<string>();
  const visit = (dir: string, depth: number): void => {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      out.push([dir, -1]); // absent: its appearance must be noticed
      return;
    }
    if (!st.isDirectory() || seen.has(dir)) return;
    seen.add(dir);
    out.push([dir, st.mtimeMs]);
    if (depth >= maxDepth) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) visit(path.join(dir, e.name), depth + 1);
  };
  for (const r of roots) visit(r, 0);
  return out;
}

function unchanged(c: WarmCache): boolean {
  for (const [dir, mtime] of c.dirs) {
    let m = -1;
    try {
      m = fs.statSync(dir).mtimeMs;
    } catch {
      m = -1;
    }
    if (m !== mtime) return false;
  }
  for (const [file, size, mtime, ino] of c.files) {
    try {
      const st = fs.statSync(file);
      if (st.size !== size || st.mtimeMs !== mtime || st.ino !== ino) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The cached output, if it is still exactly what a full run would print. */
export function readWarm(cacheDir: string, key: string): string | undefined {
  let c: WarmCache;
  try {
    c = JSON.parse(fs.readFileSync(path.join(cacheDir, warmCacheName), 'utf8')) as WarmCache;
  } catch {
    return undefined;
  }
  if (c?.v !== warmVersion || c.key !== key || typeof c.output !== 'string' || !Array.isArray(c.files) || !Array.isArray(c.dirs)) return undefined;
  return unchanged(c) ? c.output : undefined;
}

export function writeWarm(cacheDir: string, key: string, files: [string, number, number, number][], dirs: [string, number][], output: string, write: (file: string, data: string) => void): void {
  const c: WarmCache = { v: warmVersion, key, files, dirs, output };
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  write(path.join(cacheDir, warmCacheName), JSON.stringify(c));
}
