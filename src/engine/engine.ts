/**
 * The scanning engine: sources + per-file cursors + the meter + the persisted index.
 * Node I/O, no 'vscode'. The CLI runs it in-process; the extension runs it in a worker thread.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Meter } from '../core/meter';
import { PriceBook, type PriceOverride } from '../core/pricing';
import { restoreMeter, snapshotMeter } from '../core/snapshot';
import type { AgentId } from '../core/usage';
import { addHealth, emptyHealth, type AgentSource, type DiscoveredFile, type ReadResult, type SourceHealth, type SourceProblem } from '../sources/source';
import { emptyCursor, type FileCursor } from '../sources/tail';
import { indexFileName, readIndex, writeIndexAtomic, type IndexedFile } from './index-store';
import type { Worker } from 'node:worker_threads';
import { claimFront, helperClaims, newFlags, ParsePool, parseHelperCount, unclaimed, type HelperRead, type ReadJob } from './parse-pool';
import { implementedAgents, sourceFor, type SourceOptions } from './sources';

/** Source options (each agent's folders, the environment and home) plus the meter's settings. */
export interface EngineConfig extends SourceOptions {
  idleMs: number;
  priceOverrides: readonly PriceOverride[];
  keepPromptText: boolean;
  /** Agents to read; all when unset. */
  agents?: readonly AgentId[];
  /** Folder for the persisted index; none = no index. */
  cacheDir?: string;
  /** Helper threads for cold scans (default: by core count). */
  parseThreads?: number;
  /** Helper threads the CLI started while it loaded: a cold scan adopts them, anything else ends them. */
  startedHelpers?: readonly Worker[];
  /** Files up to this many new bytes this thread reads itself while it waits for a helper (default 4 MB). */
  smallFileBytes?: number;
}

interface FileEntry {
  file: DiscoveredFile;
  fileId: number;
  cursor: FileCursor;
  state: unknown;
  source: AgentSource;
}

export interface EngineHealth {
  byAgent: Partial<Record<AgentId, SourceHealth & { files: number; roots: string[]; detected: boolean }>>;
  /** Recent problems, newest last (bounded). */
  problems: { at: number; agent: AgentId; path: string; message: string }[];
  problemCount: number;
  index: { loaded: boolean; rebuilt?: string; savedAt?: number; path?: string };
}

export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
}

const maxProblems = 200;
/** Files up to this many new bytes the parsing thread reads itself while it waits for a helper. */
const smallFileBytes = 4 * 1024 * 1024;

/** The parse helper next to this module (dist/ when bundled, out/src/engine/ under tsc). */
function parseWorkerPath(): string {
  return path.join(__dirname, 'parse-worker.js');
}

export class Engine {
  meter: Meter;
  private priceBook: PriceBook;
  private sources: AgentSource[];
  private readonly files = new Map<string, FileEntry>();
  private nextFileId = 1;
  private readonly healthByAgent = new Map<AgentId, SourceHealth>();
  private readonly problems: EngineHealth['problems'] = [];
  private problemCount = 0;
  private indexInfo: EngineHealth['index'] = { loaded: false };
  private dirtySinceSave = false;
  /**
   * The last `scanParallel`: new files, how many helpers read, how many this thread read ahead, ms
   * spent waiting, and the helpers' CPU time (ms).
   */
  lastScan = { files: 0, byHelpers: 0, readAhead: 0, waitedMs: 0, helperCpuMs: 0 };

  constructor(
    private config: EngineConfig,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.priceBook = new PriceBook(config.priceOverrides);
    this.meter = new Meter(this.priceBook);
    this.sources = this.createSources(config);
  }

  get idleMs(): number {
    return this.config.idleMs;
  }

  /**
   * Apply new settings: prices are recomputed, and the sources take their new folders at once
   * (known files keep their cursors). Returns whether the folders read changed — the caller then
   * scans, so a folder added in the settings is read without a reload.
   */
  updateConfig(config: EngineConfig): boolean {
    const pricesChanged = JSON.stringify(config.priceOverrides) !== JSON.stringify(this.config.priceOverrides);
    const rootsBefore = JSON.stringify(this.roots());
    this.config = config;
    if (pricesChanged) {
      this.priceBook = new PriceBook(config.priceOverrides);
      this.meter.setPriceBook(this.priceBook);
    }
    this.sources = this.createSources(config);
    const byId = new Map(this.sources.map((s) => [s.id, s]));
    for (const entry of this.files.values()) entry.source = byId.get(entry.source.id) ?? entry.source;
    return JSON.stringify(this.roots()) !== rootsBefore;
  }

  private createSources(config: EngineConfig): AgentSource[] {
    return implementedAgents.filter((a) => !config.agents || config.agents.includes(a)).map((a) => sourceFor(a, config));
  }

  private noteProblem(agent: AgentId, p: SourceProblem): void {
    this.problemCount++;
    this.problems.push({ at: Date.now(), agent, path: p.path, message: p.message });
    if (this.problems.length > maxProblems) this.problems.splice(0, this.problems.length - maxProblems);
    this.log(`[${agent}] ${p.path}: ${p.message}`);
  }

  private agentHealth(agent: AgentId): SourceHealth {
    let h = this.healthByAgent.get(agent);
    if (!h) this.healthByAgent.set(agent, (h = emptyHealth()));
    return h;
  }

  /** A source that failed (a bug, not bad input) is logged and counted; the others go on. */
  private sourceFailed(source: AgentSource, what: string, error: unknown): void {
    this.agentHealth(source.id).unreadableFiles++;
    this.noteProblem(source.id, { path: what, message: `source failed: ${error instanceof Error ? error.message : String(error)}` });
  }

  /**
   * Find files not known yet; returns them in reading order (originals before forks).
   * `only`: the sources to look in (default all).
   */
  discover(only?: readonly AgentSource[]): FileEntry[] {
    const fresh: { entry: FileEntry; key: number }[] = [];
    for (const source of only ?? this.sources) {
      const problems: SourceProblem[] = [];
      let found: DiscoveredFile[];
      try {
        found = source.discover(source.roots(), problems);
      } catch (error: unknown) {
        this.sourceFailed(source, source.roots().join(', '), error);
        continue;
      }
      for (const p of problems) this.noteProblem(source.id, p);
      for (const file of found) {
        if (this.files.has(file.path)) continue;
        const entry: FileEntry = { file, fileId: this.nextFileId++, cursor: emptyCursor(), state: source.initialState(), source };
        this.files.set(file.path, entry);
        fresh.push({ entry, key: source.orderKey ? source.orderKey(file) : 0 });
      }
    }
    // Ties by path, in code-unit order: the same on every machine and locale (localeCompare's
    // collation also cost 15–35 ms of ICU set-up on the first scan).
    fresh.sort((a, b) => a.key - b.key || byCodeUnits(a.entry.file.path, b.entry.file.path));
    return fresh.map((f) => f.entry);
  }

  /** Read one file's new bytes into the meter; returns whether anything changed. */
  private readEntry(entry: FileEntry, budgetBytes?: number): boolean {
    const res = this.readFile(entry, budgetBytes);
    return res ? this.applyRead(entry, res) : false;
  }

  /** Read one file's new bytes (not folded yet); undefined if its source failed (logged, counted). */
  private readFile(entry: FileEntry, budgetBytes?: number): ReadResult<unknown> | undefined {
    // Discovery's stat serves the file's first read only (a file is found, then read, in one scan).
    const found = entry.file.foundStat;
    entry.file.foundStat = undefined;
    try {
      return entry.source.read(entry.file, entry.fileId, entry.cursor, entry.state, {
        keepPromptText: this.config.keepPromptText,
        budgetBytes,
        knownStat: found && entry.cursor.ino === 0 && entry.cursor.offset === 0 ? found : undefined,
      });
    } catch (error: unknown) {
      this.sourceFailed(entry.source, entry.file.path, error);
      return undefined;
    }
  }

  private applyRead(entry: FileEntry, res: ReadResult<unknown>): boolean {
    entry.cursor = res.cursor;
    entry.state = res.state;
    addHealth(this.agentHealth(entry.source.id), res.health);
    for (const p of res.problems) this.noteProblem(entry.source.id, p);
    if (res.restarted) this.log(`[${entry.source.id}] ${entry.file.path}: rewritten or replaced, read again from the start`);
    if (res.events.length === 0) return res.health.bytesRead > 0;
    this.meter.ingest(res.events);
    for (const w of this.priceBook.drainWarnings()) this.log(`[prices] ${w}`);
    this.dirtySinceSave = true;
    return true;
  }

  /**
   * Bring everything up to date: discover, then read every file's new bytes, one file per step,
   * so a caller can slice the work (the worker answers queries between steps).
   */
  *scanSteps(): Generator<ScanProgress, { changed: boolean; files: number }> {
    // Known files first, then new ones in reading order (originals before their forks).
    const fresh = this.discover();
    const freshSet = new Set(fresh);
    const entries = [...[...this.files.values()].filter((e) => !freshSet.has(e)), ...fresh];
    let changed = false;
    let bytesDone = 0;
    let i = 0;
    for (const entry of entries) {
      const before = entry.cursor.offset;
      if (this.readEntry(entry)) changed = true;
      bytesDone += Math.max(0, entry.cursor.offset - before);
      i++;
      yield { filesDone: i, filesTotal: entries.length, bytesDone };
    }
    return { changed, files: entries.length };
  }

  /**
   * The same as `scan`, for a cold scan (the CLI): each file is folded as soon as it is read, and
   * on a first scan with more than one core helper threads read ahead while this one parses.
   */
  async scanParallel(): Promise<{ changed: boolean; files: number }> {
    // (The extension's scanner does not use helpers: it runs at low priority beside the editor.)
    const helpers = this.config.parseThreads ?? parseHelperCount({});
    // A first scan: start the helpers now (unless the CLI already has), so that they are ready
    // when discovery ends. A scan with an index reads only what was appended: no helpers.
    const started = this.config.startedHelpers ?? [];
    const pool = helpers > 0 && this.files.size === 0 ? new ParsePool(parseWorkerPath(), helpers, started) : undefined;
    if (!pool) for (const w of started) void w.terminate();
    try {
      const fresh = this.discover();
      const freshSet = new Set(fresh);
      let changed = false;
      for (const entry of this.files.values()) if (!freshSet.has(entry) && this.readEntry(entry)) changed = true;
      if (await this.readAndFold(fresh, pool)) changed = true;
      if (pool) this.lastScan.helperCpuMs = pool.helperCpuMs;
      return { changed, files: this.files.size };
    } finally {
      pool?.dispose();
    }
  }

  /**
   * Read files (in reading order) into the meter, folding each in that order: this thread claims
   * and reads each file nobody has taken; a file a helper took it folds when it arrives, reading
   * the next free small files meanwhile (held, folded in their turn). A file a helper failed on
   * is read here.
   */
  private async readAndFold(batch: FileEntry[], pool: ParsePool | undefined): Promise<boolean> {
    const options = { keepPromptText: this.config.keepPromptText };
    const jobs: (ReadJob | null)[] = batch.map((e) => (pool && this.helperReadable(e) ? { agent: e.source.id, file: e.file, fileId: e.fileId, cursor: e.cursor, state: e.state, options } : null));
    const sab = newFlags(jobs);
    const flags = new Int32Array(sab);
    /** What helpers sent, and what this thread read ahead (undefined: the source failed). */
    const arrived = new Map<number, HelperRead>();
    const held = new Map<number, ReadResult<unknown> | undefined>();
    let wake: (() => void) | undefined;
    let helping = 0;
    if (pool && jobs.some((j) => j !== null))
      for (let h = 0; h < pool.size; h++) {
        helping++;
        void pool
          .run(h, jobs, sab, (index, read) => {
            arrived.set(index, read);
            wake?.();
          })
          // Its files are read here instead: logged, never lost.
          .catch((error: unknown) => this.log(`[scan] a parse helper failed (${String(error)}); this thread reads its files`))
          .finally(() => {
            helping--;
            wake?.();
          });
      }
    const stats = (this.lastScan = { files: batch.length, byHelpers: 0, readAhead: 0, waitedMs: 0, helperCpuMs: 0 });
    const pause = async (wait: (resolve: () => void) => void): Promise<void> => {
      const from = performance.now();
      await new Promise<void>(wait);
      stats.waitedMs += performance.now() - from;
    };
    let changed = false;
    let ahead = 0;
    for (let k = 0; k < batch.length; k++) {
      const e = batch[k];
      if (!e) continue;
      if (held.has(k)) {
        const r = held.get(k);
        held.delete(k);
        if (r && this.applyRead(e, r)) changed = true;
        continue;
      }
      // While the helpers load, this thread reads the small files at the front; a big one it
      // leaves to them (reading is what they are for) and waits for one to start.
      while (jobs[k] && helping > 0 && helperClaims(flags, batch.length) === 0 && !this.small(e)) await pause((resolve) => setTimeout(resolve, 1));
      if (claimFront(flags, k)) {
        if (this.readEntry(e)) changed = true;
        continue;
      }
      // A helper has this file. Until it arrives, read the next free small file (one per turn of
      // the event loop, which delivers the helpers' messages); with none left, wait.
      for (;;) {
        if (!arrived.has(k) && helping > 0) await pause((resolve) => setImmediate(resolve));
        if (arrived.has(k) || helping === 0) break;
        let j = Math.max(ahead, k + 1);
        for (; j < batch.length; j++) {
          const candidate = batch[j];
          if (candidate && unclaimed(flags, j) && this.small(candidate) && claimFront(flags, j)) break;
        }
        ahead = j + 1;
        const next = batch[j];
        if (next) {
          held.set(j, this.readFile(next));
          stats.readAhead++;
        } else {
          await pause((resolve) => (wake = resolve));
          wake = undefined;
        }
      }
      const r = arrived.get(k);
      arrived.delete(k);
      if (r) stats.byHelpers++;
      const res = r ? this.helperResult(e, r) : this.readFile(e);
      if (res && this.applyRead(e, res)) changed = true;
      // A helper keeps only so much of one file (memory): the rest is read here, from where it stopped.
      if (res && r && 'lines' in r && r.lines.tail.stopped && this.readEntry(e)) changed = true;
    }
    return changed;
  }

  /** A file small enough for this thread to read while it waits for a helper (big ones are theirs). */
  private small(e: FileEntry): boolean {
    const limit = this.config.smallFileBytes ?? smallFileBytes;
    // Its size when it was found (a few milliseconds ago) is good enough to plan by.
    if (e.file.foundStat) return e.file.foundStat.size - e.cursor.offset <= limit;
    try {
      return fs.statSync(e.file.path).size - e.cursor.offset <= limit;
    } catch {
      return true;
    }
  }

  /** What a helper read of a file, as `read` would have returned it (undefined: the source failed). */
  private helperResult(entry: FileEntry, read: HelperRead): ReadResult<unknown> | undefined {
    if ('result' in read) return read.result;
    try {
      if (!entry.source.parseCollected) throw new Error('lines from a helper for a source that cannot parse them');
      return entry.source.parseCollected(entry.file, entry.fileId, read.lines, entry.state, { keepPromptText: this.config.keepPromptText });
    } catch (error: unknown) {
      this.sourceFailed(entry.source, entry.file.path, error);
      return undefined;
    }
  }

  /** Files a helper can read with a default source (not Connect's spool; not databases). */
  private helperReadable(e: FileEntry): boolean {
    const spool = this.config.claude?.spoolDir;
    if (e.source.id === 'claude-code') return !spool || path.dirname(e.file.path) !== path.resolve(spool);
    return e.source.id === 'codex' || e.source.id === 'gemini';
  }

  scan(): { changed: boolean; files: number } {
    const steps = this.scanSteps();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** Re-read the given paths (from file-system events); unknown paths trigger a discovery. */
  refresh(paths: readonly string[]): boolean {
    let changed = false;
    let needDiscovery = false;
    const unknown: string[] = [];
    for (const p of paths) {
      // A database's write-ahead log or index changed: the database is what is read.
      const entry = this.files.get(p) ?? this.files.get(p.replace(/-(wal|shm)$/, ''));
      if (entry) {
        if (this.readEntry(entry)) changed = true;
      } else if (p) unknown.push(p);
      else needDiscovery = true;
    }
    // A new file or folder: look again only in the sources whose roots hold it.
    const owners = needDiscovery ? this.sources : this.sources.filter((s) => unknown.some((p) => s.roots().some((r) => p === r || p.startsWith(r + path.sep))));
    if (owners.length > 0) for (const entry of this.discover(owners)) if (this.readEntry(entry)) changed = true;
    return changed;
  }

  /**
   * Stat every known file and read those that changed, then look for new files (the polling
   * fallback). With `recentMs`, only the files written within that time (and sources that change
   * beside their file) and no search for new ones: what a safety net behind file events needs
   * every few seconds, at a cost that follows the work in progress instead of the history.
   */
  poll(recentMs?: number): boolean {
    let changed = false;
    const since = recentMs === undefined ? -Infinity : Date.now() - recentMs;
    for (const entry of this.files.values()) {
      if (entry.cursor.mtimeMs < since && !entry.source.changedBeside) continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(entry.file.path);
      } catch {
        continue;
      }
      const moved = st.size !== entry.cursor.size || st.mtimeMs !== entry.cursor.mtimeMs || st.ino !== entry.cursor.ino;
      if (moved || entry.source.changedBeside?.(entry.file, entry.state)) {
        if (this.readEntry(entry)) changed = true;
      }
    }
    if (recentMs === undefined) for (const entry of this.discover()) if (this.readEntry(entry)) changed = true;
    return changed;
  }

  knownFiles(): string[] {
    return [...this.files.keys()];
  }

  /** (path, size, mtime, inode) of every file as last read. */
  fileStates(): [string, number, number, number][] {
    const out: [string, number, number, number][] = [...this.files.values()].map((e) => [e.file.path, e.cursor.size, e.cursor.mtimeMs, e.cursor.ino]);
    for (const e of this.files.values()) {
      for (const p of e.source.besideFiles?.(e.file) ?? []) {
        try {
          const st = fs.statSync(p);
          out.push([p, st.size, st.mtimeMs, st.ino]);
        } catch {
          // Absent: a file that appears there later does not invalidate; its folder's mtime does.
        }
      }
    }
    return out;
  }

  roots(): { agent: AgentId; roots: string[] }[] {
    return this.sources.map((s) => ({ agent: s.id, roots: s.roots() }));
  }

  health(): EngineHealth {
    const byAgent: EngineHealth['byAgent'] = {};
    for (const s of this.sources) {
      const roots = s.roots();
      const files = [...this.files.values()].filter((f) => f.source === s).length;
      byAgent[s.id] = {
        ...(this.healthByAgent.get(s.id) ?? emptyHealth()),
        files,
        roots,
        detected: files > 0 || roots.some((r) => fs.existsSync(r)),
      };
    }
    return { byAgent, problems: [...this.problems], problemCount: this.problemCount, index: { ...this.indexInfo } };
  }

  // ---- persisted index -------------------------------------------------------------------

  indexPath(): string | undefined {
    return this.config.cacheDir ? path.join(this.config.cacheDir, indexFileName) : undefined;
  }

  /**
   * Load the index if it is sound; otherwise keep an empty meter (a cold scan rebuilds it).
   * Files are matched by path; a cursor is re-checked against the file when it is next read.
   */
  loadIndex(): boolean {
    const p = this.indexPath();
    if (!p) return false;
    const res = readIndex(p);
    if (!res.ok) {
      if (res.reason !== 'missing') {
        this.indexInfo = { loaded: false, rebuilt: res.reason, path: p };
        this.log(`[index] ${p}: ${res.reason}; rebuilding from the transcripts`);
      }
      return false;
    }
    let meter: Meter;
    try {
      meter = restoreMeter(res.index.meter, this.priceBook);
    } catch (error: unknown) {
      this.indexInfo = { loaded: false, rebuilt: `unusable: ${String(error)}`, path: p };
      this.log(`[index] ${p}: unusable (${String(error)}); rebuilding`);
      return false;
    }
    const sum = meter.totalRequestTokens();
    const check = sum.input + sum.output + sum.cacheWrite5m + sum.cacheWrite1h + sum.cacheRead;
    if (check !== res.index.checksum) {
      this.indexInfo = { loaded: false, rebuilt: 'checksum mismatch', path: p };
      this.log(`[index] ${p}: checksum mismatch; rebuilding`);
      return false;
    }
    this.meter = meter;
    this.files.clear();
    const byId = new Map(this.sources.map((s) => [s.id, s]));
    let maxId = 0;
    for (const f of res.index.files) {
      const source = byId.get(f.agent);
      if (!source) continue;
      this.files.set(f.path, {
        file: { path: f.path, agent: f.agent, projectHint: f.projectHint },
        fileId: f.fileId,
        cursor: f.cursor,
        state: f.state ?? source.initialState(),
        source,
      });
      maxId = Math.max(maxId, f.fileId);
    }
    this.nextFileId = Math.max(this.nextFileId, maxId + 1);
    this.indexInfo = { loaded: true, savedAt: res.index.savedAt, path: p };
    return true;
  }

  /** Write the index atomically (temp file + rename, user-only permissions). */
  saveIndex(force = false): boolean {
    const p = this.indexPath();
    if (!p || (!this.dirtySinceSave && !force)) return false;
    const files: IndexedFile[] = [...this.files.values()].map((e) => ({
      path: e.file.path,
      agent: e.file.agent,
      projectHint: e.file.projectHint,
      fileId: e.fileId,
      cursor: e.cursor,
      state: e.state,
    }));
    const sum = this.meter.totalRequestTokens();
    const savedAt = Date.now();
    writeIndexAtomic(p, {
      files,
      meter: snapshotMeter(this.meter),
      checksum: sum.input + sum.output + sum.cacheWrite5m + sum.cacheWrite1h + sum.cacheRead,
      savedAt,
    });
    this.dirtySinceSave = false;
    this.indexInfo = { ...this.indexInfo, savedAt, path: p };
    return true;
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
