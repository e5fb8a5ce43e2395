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

export const warmCacheName = 'report-cache-v3';

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
const warmVersion = 3;

/**
 * The cache file: one line of JSON (this header); the paths of the files and folders to check,
 * NUL-separated (a path never holds a NUL), UTF-8; their numbers as little-endian doubles (per
 * file size, mtime and inode; per folder its mtime, -1 when absent); then the report's bytes
 * exactly as printed. A hit costs a read, the stats and a write: the report is never parsed, and
 * the list is read without building an object per file (a JSON list of thousands of arrays cost a
 * warm run 14 ms to parse and 10 ms of garbage collection).
 */
interface WarmHeader {
  v: number;
  key: string;
  files: number;
  dirs: number;
  /** Bytes of the paths. */
  paths: number;
  /** Length of the report that follows (a truncated file is a miss). */
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

/** Whether every file and folder of the list is as it was: `list` holds the paths, then the numbers. */
function unchanged(c: WarmHeader, list: Buffer): boolean {
  const paths = c.files + c.dirs === 0 ? [] : list.toString('utf8', 0, c.paths).split('\0');
  if (paths.length !== c.files + c.dirs) return false;
  let at = c.paths;
  for (let i = 0; i < c.files; i++, at += 24) {
    const st = statOrUndefined(paths[i] ?? '');
    if (!st || st.size !== list.readDoubleLE(at) || st.mtimeMs !== list.readDoubleLE(at + 8) || st.ino !== list.readDoubleLE(at + 16)) return false;
  }
  for (let i = c.files; i < paths.length; i++, at += 8) {
    const st = statOrUndefined(paths[i] ?? '');
    if ((st ? st.mtimeMs : -1) !== list.readDoubleLE(at)) return false;
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

/** Bytes read from the cache file at a time: its header first, then the report, through one buffer. */
const warmChunkBytes = 256 * 1024;

/** An open cache file whose report is still valid: where its report starts, and how long it is. */
interface WarmHit {
  fd: number;
  bodyAt: number;
  bytes: number;
  /** The first bytes of the report, already read with the header (a view of `buf`). */
  head: Buffer;
  buf: Buffer;
}

/**
 * Open the cache file and check it: its header is read (the report is not), and every file and
 * folder it names is stat'ed. A hit leaves the file open (the caller closes it); a miss closes it.
 */
function openWarm(cacheDir: string, key: string): WarmHit | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path.join(cacheDir, warmCacheName), 'r');
  } catch {
    return undefined;
  }
  let hit: WarmHit | undefined;
  try {
    hit = checkWarm(fd, key);
  } catch {
    hit = undefined;
  }
  if (!hit) fs.closeSync(fd);
  return hit;
}

function checkWarm(fd: number, key: string): WarmHit | undefined {
  const size = fs.fstatSync(fd).size;
  let buf = Buffer.allocUnsafe(Math.min(warmChunkBytes, size));
  let got = 0;
  let nl = -1;
  // The header line (a few hundred KB for thousands of files) may take more than one chunk.
  while (nl < 0) {
    if (got === buf.length) {
      if (got === size) return undefined;
      const bigger = Buffer.allocUnsafe(Math.min(size, buf.length * 2));
      buf.copy(bigger, 0, 0, got);
      buf = bigger;
    }
    const n = fs.readSync(fd, buf, got, buf.length - got, got);
    if (n <= 0) return undefined;
    const from = got;
    got += n;
    nl = buf.indexOf(10, from);
    if (nl >= got) nl = -1;
  }
  let c: WarmHeader;
  try {
    c = JSON.parse(buf.toString('utf8', 0, nl)) as WarmHeader;
  } catch {
    return undefined;
  }
  if (c?.v !== warmVersion || c.key !== key) return undefined;
  const counts = [c.files, c.dirs, c.paths, c.bytes];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  const listBytes = c.paths + 24 * c.files + 8 * c.dirs;
  const bodyAt = nl + 1 + listBytes;
  if (bodyAt + c.bytes !== size) return undefined;
  // The list follows the header: mostly in what was read already.
  if (bodyAt > got) {
    const more = Buffer.allocUnsafe(bodyAt);
    buf.copy(more, 0, 0, got);
    if (fs.readSync(fd, more, got, bodyAt - got, got) !== bodyAt - got) return undefined;
    buf = more;
    got = bodyAt;
  }
  if (!unchanged(c, buf.subarray(nl + 1, bodyAt))) return undefined;
  return { fd, bodyAt, bytes: c.bytes, head: buf.subarray(bodyAt, got), buf };
}

/** The report of a hit, chunk by chunk, in order, through one buffer (each chunk valid until the next); false if the file came up short. */
function eachWarmChunk(hit: WarmHit, use: (chunk: Buffer) => void): boolean {
  try {
    if (hit.head.length > 0) use(hit.head);
    let at = hit.head.length;
    while (at < hit.bytes) {
      const n = fs.readSync(hit.fd, hit.buf, 0, Math.min(hit.buf.length, hit.bytes - at), hit.bodyAt + at);
      if (n <= 0) return false;
      use(hit.buf.subarray(0, n));
      at += n;
    }
    return true;
  } finally {
    fs.closeSync(hit.fd);
  }
}

/** The cached report's bytes, if they are still exactly what a full run would print. */
export function readWarmBytes(cacheDir: string, key: string): Buffer | undefined {
  const hit = openWarm(cacheDir, key);
  if (!hit) return undefined;
  const parts: Buffer[] = [];
  return eachWarmChunk(hit, (chunk) => parts.push(Buffer.from(chunk))) ? Buffer.concat(parts) : undefined;
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

/**
 * Print the cached report if it is still valid; false on a miss (nothing printed). The report is
 * read and written a chunk at a time through one buffer: a hit never holds the whole report (a
 * 4 MB buffer's fresh pages alone cost a warm run 12 ms). The cache file is replaced by renaming,
 * never rewritten in place, so the open file stays the one checked; should it still come up short,
 * the run fails rather than pass a cut report for a whole one.
 */
export function printWarm(cacheDir: string, key: string): boolean {
  const hit = openWarm(cacheDir, key);
  if (!hit) return false;
  const write = stdoutWriter();
  if (!eachWarmChunk(hit, write)) {
    process.stderr.write('taximeter: the report cache came up short while it was printed; run again with --no-cache\n');
    process.exitCode = 1;
  }
  return true;
}

export function writeWarm(cacheDir: string, key: string, files: [string, number, number, number][], dirs: [string, number][], output: string | Uint8Array, write: (file: string, data: Buffer) => void): void {
  const body = typeof output === 'string' ? Buffer.from(output, 'utf8') : output;
  const paths = Buffer.from([...files.map((f) => f[0]), ...dirs.map((d) => d[0])].join('\0'), 'utf8');
  const numbers = Buffer.alloc(24 * files.length + 8 * dirs.length);
  let at = 0;
  for (const [, size, mtime, ino] of files) {
    numbers.writeDoubleLE(size, at);
    numbers.writeDoubleLE(mtime, at + 8);
    numbers.writeDoubleLE(ino, at + 16);
    at += 24;
  }
  for (const [, mtime] of dirs) at = numbers.writeDoubleLE(mtime, at);
  const header: WarmHeader = { v: warmVersion, key, files: files.length, dirs: dirs.length, paths: paths.length, bytes: body.length };
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  // The earlier formats: never read again.
  for (const old of ['report-cache-v1.json', 'report-cache-v2']) fs.rmSync(path.join(cacheDir, old), { force: true });
  write(path.join(cacheDir, warmCacheName), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), paths, numbers, body]));
}
