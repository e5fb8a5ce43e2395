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
import * as os from 'node:os';
import { addHealth, emptyHealth, type AgentSource, type DiscoveredFile, type ReadResult, type SourceHealth, type SourceProblem } from '../sources/source';
import { emptyCursor, type FileCursor } from '../sources/tail';
import { indexFileName, readIndex, writeIndexAtomic, type IndexedFile } from './index-store';
import { claimFront, newFlags, ParsePool, type JobResult, type ReadJob } from './parse-pool';
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
/** Cold scans of at least this many new bytes use helper threads. */
const parallelThresholdBytes = 48 * 1024 * 1024;
const batchBytesLimit = 1024 * 1024 * 1024;

/**
 * Helper threads for cold scans, from 4 cores: one per further core (at most 3). On a 2-core
 * machine (measured: the two threads ran at about half speed each — memory-bound reading and
 * parsing) a helper brings nothing, so the calling thread reads alone.
 * (The extension's scanner does not use them: it runs at low priority beside the editor.)
 */
function defaultParseHelpers(): number {
  const cores = os.availableParallelism();
  return cores >= 4 ? Math.min(3, cores - 1) : 0;
}

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
    fresh.sort((a, b) => a.key - b.key || a.entry.file.path.localeCompare(b.entry.file.path));
    return fresh.map((f) => f.entry);
  }

  /** Read one file's new bytes into the meter; returns whether anything changed. */
  private readEntry(entry: FileEntry, budgetBytes?: number): boolean {
    let res: ReadResult<unknown>;
    try {
      res = entry.source.read(entry.file, entry.fileId, entry.cursor, entry.state, {
        keepPromptText: this.config.keepPromptText,
        budgetBytes,
      });
    } catch (error: unknown) {
      this.sourceFailed(entry.source, entry.file.path, error);
      return false;
    }
    return this.applyRead(entry, res);
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
   * The same as `scan`, for a cold scan of a big history (the CLI): each file is folded as soon as
   * it is read, and from 4 cores helper threads read files too. Helpers' results are held until
   * folded, so their work goes in batches of ~1 GB of files.
   */
  async scanParallel(thresholdBytes = parallelThresholdBytes): Promise<{ changed: boolean; files: number }> {
    const helpers = this.config.parseThreads ?? defaultParseHelpers();
    // A first scan: start the helpers now, so that they are ready when discovery ends.
    let pool = helpers > 0 && this.files.size === 0 ? new ParsePool(parseWorkerPath(), helpers) : undefined;
    try {
      const fresh = this.discover();
      const freshSet = new Set(fresh);
      let changed = false;
      for (const entry of this.files.values()) if (!freshSet.has(entry) && this.readEntry(entry)) changed = true;
      // Without helpers nothing is held: one pass over every new file, no sizes needed.
      const sizes = new Map<FileEntry, number>();
      if (helpers > 0) {
        let freshBytes = 0;
        for (const e of fresh) {
          let size = 0;
          try {
            size = fs.statSync(e.file.path).size;
          } catch {
            size = 0;
          }
          sizes.set(e, size);
          freshBytes += size;
        }
        if (freshBytes < thresholdBytes) {
          pool?.dispose();
          pool = undefined;
        } else pool ??= new ParsePool(parseWorkerPath(), helpers);
      }
      let i = 0;
      while (i < fresh.length) {
        const batch: FileEntry[] = [];
        let batchBytes = 0;
        while (i < fresh.length && (!pool || batch.length === 0 || batchBytes < batchBytesLimit)) {
          const e = fresh[i++];
          if (!e) break;
          batch.push(e);
          batchBytes += sizes.get(e) ?? 0;
        }
        if (await this.readAndFold(batch, pool)) changed = true;
      }
      return { changed, files: this.files.size };
    } finally {
      pool?.dispose();
    }
  }

  /**
   * Read a batch (in reading order) into the meter: this thread from the front, folding each file
   * at once; helpers from the back; their files folded after, in order. A file a helper failed
   * on is read here.
   */
  private async readAndFold(batch: FileEntry[], pool: ParsePool | undefined): Promise<boolean> {
    const options = { keepPromptText: this.config.keepPromptText };
    const jobs: (ReadJob | null)[] = batch.map((e) => (pool && this.helperReadable(e) ? { agent: e.source.id, file: e.file, fileId: e.fileId, cursor: e.cursor, state: e.state, options } : null));
    const sab = newFlags(jobs);
    const flags = new Int32Array(sab);
    const pending: Promise<JobResult[]>[] = [];
    if (pool && jobs.some((j) => j !== null)) for (let h = 0; h < pool.size; h++) pending.push(pool.run(h, jobs, sab).catch(() => []));
    let changed = false;
    let k = 0;
    for (; k < batch.length; k++) {
      const e = batch[k];
      if (!e || !claimFront(flags, k)) break;
      if (this.readEntry(e)) changed = true;
    }
    // Nothing left for the helpers: they found every file taken; their empty answers need no wait.
    if (k === batch.length) return changed;
    const results = new Map<number, ReadResult<unknown>>();
    for (const list of await Promise.all(pending)) for (const r of list) results.set(r.index, r.result);
    for (; k < batch.length; k++) {
      const e = batch[k];
      if (!e) continue;
      const r = results.get(k);
      if (r ? this.applyRead(e, r) : this.readEntry(e)) changed = true;
    }
    return changed;
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

  /** Stat every known file and read those that changed (the polling fallback). */
  poll(): boolean {
    let changed = false;
    for (const entry of this.files.values()) {
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
    for (const entry of this.discover()) if (this.readEntry(entry)) changed = true;
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
