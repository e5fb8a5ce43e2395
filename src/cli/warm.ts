/**
 * The CLI's warm path: when nothing the last report read has changed, print that report again
 * without loading the engine. "Nothing changed" is checked, not assumed: every file read (size,
 * mtime, inode) and every folder walked (mtime: a new file or folder changes it) is stat'ed.
 * Only Node built-ins here, so the check costs a Node start and a few thousand stats.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as os from 'node:os';
import type * as Tty from 'node:tty';

export const warmCacheName = 'report-cache-v2';

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
const warmVersion = 2;

/**
 * The cache file: one line of JSON (this header), then the report's bytes exactly as printed, so
 * a hit costs a read, the stats and a write — the report itself is never parsed.
 */
interface WarmHeader {
  v: number;
  key: string;
  files: [string, number, number, number][];
  dirs: [string, number][];
  /** Length of the report that follows the header line (a truncated file is a miss). */
  bytes: number;
}

/**
 * The system's time zone, cheaply: `TZ`, else where `/etc/localtime` points (or which file it is),
 * which is what decides the zone on Linux and macOS. Only without them (Windows) is the zone asked
 * of Intl, whose first use costs tens of milliseconds — most of a warm run.
 */
export function zoneFingerprint(env: NodeJS.ProcessEnv): string {
  if (env.TZ !== undefined) return `TZ=${env.TZ}`;
  try {
    const st = fs.lstatSync('/etc/localtime');
    return st.isSymbolicLink() ? `link=${fs.readlinkSync('/etc/localtime')}` : `file=${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return `intl=${Intl.DateTimeFormat().resolvedOptions().timeZone}`;
  }
}

/** What decides the output: the arguments and the environment the engine reads. */
export function warmKey(argv: readonly string[], env: NodeJS.ProcessEnv, version: string, terminal: boolean): string {
  const tz = zoneFingerprint(env);
  const agentVars = ['CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'GEMINI_CLI_HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'APPDATA', 'CLINE_DATA_DIR', 'CLINE_DIR', 'CLINE_SESSION_DATA_DIR', 'HOME', 'USERPROFILE'];
  // The output's layout depends on whether it goes to a terminal (indented JSON) or not.
  return JSON.stringify([version, argv, terminal, ...agentVars.map((v) => env[v] ?? ''), tz]);
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

function unchanged(c: WarmHeader): boolean {
  for (const [dir, mtime] of c.dirs) {
    const st = statOrUndefined(dir);
    if ((st ? st.mtimeMs : -1) !== mtime) return false;
  }
  for (const [file, size, mtime, ino] of c.files) {
    const st = statOrUndefined(file);
    if (!st || st.size !== size || st.mtimeMs !== mtime || st.ino !== ino) return false;
  }
  return true;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The cached report's bytes, if they are still exactly what a full run would print. */
export function readWarmBytes(cacheDir: string, key: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(cacheDir, warmCacheName));
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl < 0) return undefined;
  let c: WarmHeader;
  try {
    c = JSON.parse(buf.toString('utf8', 0, nl)) as WarmHeader;
  } catch {
    return undefined;
  }
  if (c?.v !== warmVersion || c.key !== key || c.bytes !== buf.length - nl - 1 || !Array.isArray(c.files) || !Array.isArray(c.dirs)) return undefined;
  return unchanged(c) ? buf.subarray(nl + 1) : undefined;
}

/** The cached report as text (tests), or undefined on a miss. */
export function readWarm(cacheDir: string, key: string): string | undefined {
  return readWarmBytes(cacheDir, key)?.toString('utf8');
}

/**
 * Whether `fd` is a terminal, as `process.stdout.isTTY` says, without loading node:tty (and with it
 * node:net) for the usual pipe or file: only a character device can be a terminal.
 */
export function isTerminal(fd: number): boolean {
  try {
    if (!fs.fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:tty') as typeof Tty).isatty(fd);
}

/** A reader that stops early (`taximeter report | head`) is not an error: the run ends quietly. */
export function endQuietlyOnEpipe(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
}

/**
 * A writer to standard output, straight to its descriptor, without creating `process.stdout` (a
 * stream whose set-up costs a warm run 2–5 ms of its ~60). What the descriptor cannot take now (a
 * non-blocking pipe) goes through the stream, which waits for the reader, and so does everything
 * after it (in order). The bytes may be reused once a call returns (the stream gets a copy).
 */
export function stdoutWriter(): (bytes: Uint8Array) => void {
  let viaStream = false;
  return (bytes) => {
    let at = 0;
    if (!viaStream)
      try {
        while (at < bytes.length) at += fs.writeSync(1, bytes, at, bytes.length - at);
        return;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') endQuietlyOnEpipe(error as NodeJS.ErrnoException);
        viaStream = true;
        process.stdout.on('error', endQuietlyOnEpipe);
      }
    process.stdout.write(Buffer.from(bytes.subarray(at)));
  };
}

export function writeStdout(bytes: Uint8Array): void {
  stdoutWriter()(bytes);
}

/** Print the cached report if it is still valid; false on a miss (nothing printed). */
export function printWarm(cacheDir: string, key: string): boolean {
  const bytes = readWarmBytes(cacheDir, key);
  if (!bytes) return false;
  writeStdout(bytes);
  return true;
}

export function writeWarm(cacheDir: string, key: string, files: [string, number, number, number][], dirs: [string, number][], output: string | Uint8Array, write: (file: string, data: Buffer) => void): void {
  const body = typeof output === 'string' ? Buffer.from(output, 'utf8') : output;
  const header: WarmHeader = { v: warmVersion, key, files, dirs, bytes: body.length };
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  fs.rmSync(path.join(cacheDir, 'report-cache-v1.json'), { force: true }); // the earlier format: never read again
  write(path.join(cacheDir, warmCacheName), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), body]));
}
