/**
 * Loading the engine bundle (dist/cli-main.js) with V8's code cache made AFTER a run, so it holds
 * every function that run compiled — not only the few compiled before it started, which is what
 * Node's own compile cache stores (everything else was parsed and compiled again on every start,
 * and Node re-serialised its cache on every run to compare it). Measured on a cold 1.1 GB report:
 * about 5% less time and 3% less CPU (16 alternating pairs, twice).
 *
 * The cache is V8's own format behind a header naming the source's SHA-256 (V8 itself checks only
 * the source's length, its own version and its flags); a stale or damaged one is not used, and is
 * written again after the run. Only ever an optimisation: any failure loads the bundle the usual
 * way. It lives in a folder only this user can open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Crypto from 'node:crypto';
import type * as NodeModule from 'node:module';
import type * as Vm from 'node:vm';

/** The CommonJS wrapper Node puts around a module's source (Module.wrap). */
const wrapperHead = '(function (exports, require, module, __filename, __dirname) { ';
const wrapperTail = '\n});';

/**
 * A folder for the cache: created user-only; refused when it is a link or another user's (made
 * user-only when it is this user's but open to others).
 */
export function privateFolder(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory()) return false;
    const uid = process.getuid?.();
    if (uid === undefined) return true;
    if (st.uid !== uid) return false;
    if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
    return true;
  } catch {
    return false;
  }
}

/** The cache file for `file` of this build on this Node, in `dir`: `<name>--<build, Node, arch>.v8`. */
export function codeCacheFile(dir: string, file: string, build: string): string {
  const tag = `${build}-${process.version}-${process.arch}`.replace(/[^A-Za-z0-9.+_-]/g, '_');
  return path.join(dir, `${path.basename(file, '.js')}--${tag}.v8`);
}

/** What the last `requireWithCodeCache` did with its cache (for tests). */
export let codeCacheOutcome: 'off' | 'none' | 'accepted' | 'rejected' = 'off';

/**
 * `require(file)`, through `cacheFile` (read now; written when the process exits if it was
 * missing, stale or rejected). Without a cache file (undefined or empty): plain `require`.
 */
export function requireWithCodeCache(file: string, cacheFile: string | undefined): unknown {
  codeCacheOutcome = 'off';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!cacheFile) return require(file);
  // Loaded here, not with the module: the CLI's warm path (bin.ts) must not pay for them.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createHash } = require('node:crypto') as typeof Crypto;
  const { createRequire } = require('node:module') as typeof NodeModule;
  const vm = require('node:vm') as typeof Vm;
  /* eslint-enable @typescript-eslint/no-require-imports */
  let script: Vm.Script;
  let header: Buffer;
  let found = false;
  let cached: Buffer | undefined;
  try {
    const bytes = fs.readFileSync(file);
    const source = bytes.toString('utf8');
    // V8 checks a cache against the source's length only: the header names the exact source (its
    // bytes' hash: hashing the string instead encoded the megabyte to UTF-8 again, 3 ms at start).
    header = Buffer.from(`taximeter code cache 1 ${createHash('sha256').update(bytes).digest('hex')}\n`);
    try {
      const raw = fs.readFileSync(cacheFile);
      found = true;
      if (raw.subarray(0, header.length).equals(header)) cached = raw.subarray(header.length);
    } catch {
      cached = undefined;
    }
    script = new vm.Script(wrapperHead + source + wrapperTail, { filename: file, cachedData: cached });
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file);
  }
  const accepted = cached !== undefined && script.cachedDataRejected !== true;
  codeCacheOutcome = accepted ? 'accepted' : found ? 'rejected' : 'none';
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  if (!accepted) process.once('exit', () => saveCodeCache(script, header, cacheFile));
  return module.exports;
}

/** Caches of one file kept (builds and Node versions used side by side must not evict each other on every run). */
export const keptCodeCaches = 3;

/** Write the cache (atomically); keep the newest `keptCodeCaches` of the same file in this folder. */
function saveCodeCache(script: Vm.Script, header: Buffer, cacheFile: string): void {
  try {
    const dir = path.dirname(cacheFile);
    const stem = path.basename(cacheFile).split('--')[0] ?? '';
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]), { mode: 0o600 });
    fs.renameSync(tmp, cacheFile);
    const same: { file: string; mtimeMs: number }[] = [];
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      if (name.endsWith('.v8') && name.startsWith(`${stem}--`)) same.push({ file, mtimeMs: fs.statSync(file).mtimeMs });
      // Node's own compile cache (v22.1.0-x64-…/), which earlier versions kept in this folder.
      else if (/^v\d+\.\d+\.\d+-/.test(name) && fs.lstatSync(file).isDirectory()) fs.rmSync(file, { recursive: true, force: true });
    }
    same.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const old of same.slice(keptCodeCaches)) if (old.file !== cacheFile) fs.rmSync(old.file, { force: true });
  } catch {
    // Only a speed-up.
  }
}
