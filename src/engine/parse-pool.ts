/**
 * Parallel file reading for cold scans. The files of a batch are in the global reading order
 * (originals before their forks), and they are folded into the meter in that order.
 *
 * Helpers read ahead: each claims the next free file, reads it and passes on the lines the byte
 * filter keeps (a few percent of a transcript's bytes) in one transferred buffer; the calling
 * thread parses them and folds them. Reading (copying a gigabyte out of the page cache, finding
 * line ends, filtering) and parsing then overlap. The calling thread walks the batch from the
 * front: a file nobody has taken it reads itself (small ones at the start, while the helpers
 * load); a file a helper has it takes when it arrives, reading the next free small files
 * meanwhile. Each file is claimed once through a shared flag array. A source that cannot split
 * its reading is read whole by whoever claims it, and a helper sends its events.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { DiscoveredFile, ReadOptions, ReadResult } from '../sources/source';
import type { CollectedLines, FileCursor } from '../sources/tail';

export interface ReadJob {
  agent: AgentId;
  file: DiscoveredFile;
  fileId: number;
  cursor: FileCursor;
  state: unknown;
  options: ReadOptions;
}

/**
 * To a helper: the batch's jobs and their claim flags. Transcripts (all but a few jobs) go as a
 * path and `jobNumbers` numbers, not as objects: a batch of thousands of job objects took 20–30 ms
 * to copy to the helper, all of it before the helper could start reading.
 */
export interface SharedBatch {
  batch: number;
  /** Per job: the path of a transcript read through the byte filter, or null (see `whole`; or only the calling thread reads it). */
  transcripts: (string | null)[];
  /** Per job: its cursor's size, mtimeMs, ino and offset, its read budget (NaN: none), and the file's size when found (NaN: unknown). */
  numbers: Float64Array;
  /** Jobs of sources that cannot split their reading (read whole), with their index. */
  whole: [number, ReadJob][];
  flags: SharedArrayBuffer;
}

/** Numbers a job has in `SharedBatch.numbers`. */
export const jobNumbers = 6;

/** The batch as sent (without its number and flags). */
export function encodeJobs(jobs: readonly (ReadJob | null)[]): Omit<SharedBatch, 'batch' | 'flags'> {
  const transcripts: (string | null)[] = new Array<string | null>(jobs.length).fill(null);
  const numbers = new Float64Array(jobs.length * jobNumbers);
  const whole: [number, ReadJob][] = [];
  jobs.forEach((j, i) => {
    if (!j) return;
    if (j.agent !== 'claude-code') {
      whole.push([i, j]);
      return;
    }
    transcripts[i] = j.file.path;
    const at = i * jobNumbers;
    numbers[at] = j.cursor.size;
    numbers[at + 1] = j.cursor.mtimeMs;
    numbers[at + 2] = j.cursor.ino;
    numbers[at + 3] = j.cursor.offset;
    numbers[at + 4] = j.options.budgetBytes ?? NaN;
    numbers[at + 5] = j.file.foundStat?.size ?? NaN;
  });
  return { transcripts, numbers, whole };
}

/** A transcript job's cursor, budget and size hint, as `encodeJobs` wrote them. */
export function transcriptJob(batch: Pick<SharedBatch, 'numbers'>, index: number): { cursor: FileCursor; budgetBytes: number | undefined; sizeHint: number | undefined } {
  const n = batch.numbers;
  const at = index * jobNumbers;
  const budget = n[at + 4] ?? NaN;
  const size = n[at + 5] ?? NaN;
  return {
    cursor: { size: n[at] ?? 0, mtimeMs: n[at + 1] ?? 0, ino: n[at + 2] ?? 0, offset: n[at + 3] ?? 0 },
    budgetBytes: Number.isNaN(budget) ? undefined : budget,
    sizeHint: Number.isNaN(size) ? undefined : size,
  };
}

/** What a helper read of one file: its filtered lines, or (a source that cannot split) its result. */
export type HelperRead = { lines: CollectedLines } | { result: ReadResult<unknown> };

/**
 * From a helper: files it read (several per message: each message has a fixed cost), the end of its
 * part of a batch, or a failure; with the helper thread's CPU time so far (ms, for TAXIMETER_TIMING).
 */
export type HelperMessage =
  | { type: 'files'; batch: number; files: { index: number; read: HelperRead }[]; cpuMs?: number }
  | { type: 'done'; batch: number; cpuMs?: number }
  | { type: 'error'; batch: number; error: string };

/** Claim flags: free, taken by the caller, by a helper, or the caller's only. */
const Claim = { Free: 0, Front: 1, Helper: 2, FrontOnly: 3 } as const;

/** One flag per job, then the number of files helpers have claimed. */
export function newFlags(jobs: readonly (ReadJob | null)[]): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * (jobs.length + 1));
  const flags = new Int32Array(sab);
  jobs.forEach((j, i) => {
    if (j === null) flags[i] = Claim.FrontOnly;
  });
  return sab;
}

/** The calling thread claims a file: true if it is the caller's now (or only ever); false if a helper has it. */
export function claimFront(flags: Int32Array, index: number): boolean {
  const was = Atomics.compareExchange(flags, index, Claim.Free, Claim.Front);
  return was === Claim.Free || was === Claim.FrontOnly;
}

/** A helper's files: the next free one, in reading order, each now claimed. */
export function* claimNext(flags: Int32Array, count: number): Generator<number> {
  for (let i = 0; i < count; i++)
    if (Atomics.compareExchange(flags, i, Claim.Free, Claim.Helper) === Claim.Free) {
      Atomics.add(flags, count, 1);
      yield i;
    }
}

/** Whether nobody has claimed the file yet. */
export function unclaimed(flags: Int32Array, index: number): boolean {
  return Atomics.load(flags, index) === Claim.Free;
}

/** How many files helpers have claimed so far. */
export function helperClaims(flags: Int32Array, count: number): number {
  return Atomics.load(flags, count);
}

/**
 * Helper threads for a cold scan: `TAXIMETER_PARSE_THREADS` when set, else one per core beyond the
 * second, at most 2 (they read ahead of the one thread that parses; more would only wait). The
 * second core is V8's: it compiles the hot code and collects garbage (0.55–0.65 s of CPU in a cold
 * report of 1.1 GB). A helper there costs more CPU than it saves the main thread (measured on 2
 * cores: 0.47 s of its own for 0.14 s less on the main thread), and the run was 4% slower with one.
 */
export function parseHelperCount(env: NodeJS.ProcessEnv, cores = os.availableParallelism()): number {
  const set = env.TAXIMETER_PARSE_THREADS;
  if (set !== undefined && /^\d+$/.test(set)) return Math.min(8, Number(set));
  return Math.max(0, Math.min(2, cores - 2));
}

/** A throwaway thread that pays Intl's first use (process-wide: 25–40 ms) while the calling thread loads and reads. */
export function startIntlWarmer(): void {
  new Worker("Intl.DateTimeFormat().resolvedOptions(); 'a'.localeCompare('b')", { eval: true }).on('error', () => undefined).unref();
}

/** A started helper that failed or ended before a pool adopted it. */
type Helper = Worker & { taximeterEnded?: boolean };

/**
 * Start helper threads before they are needed (the CLI starts them while it loads); a ParsePool
 * adopts them. They do not keep the process alive until adopted.
 */
export function startParseHelpers(helperPath: string, count: number, warmIntl = false): Worker[] {
  if (count <= 0 || !fs.existsSync(helperPath)) return [];
  return Array.from({ length: count }, (_, i) => {
    const w: Helper = new Worker(helperPath, { name: `taximeter-parse-${i}`, workerData: { warmIntl: warmIntl && i === 0 } });
    const ended = (): void => {
      w.taximeterEnded = true;
    };
    w.on('error', ended);
    w.on('exit', ended);
    w.unref();
    return w;
  });
}

export class ParsePool {
  private readonly workers: Worker[] = [];
  private batch = 0;
  /** A batch's jobs encoded once for all helpers. */
  private readonly encoded = new WeakMap<readonly (ReadJob | null)[], Omit<SharedBatch, 'batch' | 'flags'>>();
  private readonly waiting = new Map<number, { onFile: (index: number, read: HelperRead) => void; resolve: () => void; reject: (e: Error) => void }>();
  /** Each helper's CPU time (ms) as of its last message. */
  private readonly cpuMs = new Map<Worker, number>();

  /** `helperPath`: the bundled parse-worker.js (or its tsc output in tests); `started`: helpers started earlier. */
  constructor(helperPath: string, helpers: number, started: readonly Worker[] = []) {
    const alive = started.filter((w: Helper) => !w.taximeterEnded);
    for (const w of alive.slice(helpers)) void w.terminate();
    const workers = [...alive.slice(0, helpers), ...startParseHelpers(helperPath, helpers - Math.min(helpers, alive.length))];
    for (const w of workers) {
      w.ref();
      w.on('message', (m: HelperMessage) => {
        if (m.type !== 'error' && m.cpuMs !== undefined) this.cpuMs.set(w, m.cpuMs);
        const p = this.waiting.get(m.batch);
        if (!p) return;
        if (m.type === 'files') {
          for (const f of m.files) p.onFile(f.index, f.read);
          return;
        }
        this.waiting.delete(m.batch);
        if (m.type === 'done') p.resolve();
        else p.reject(new Error(m.error));
      });
      // A helper that fails or ends leaves its files to the calling thread (never a hang).
      const fail = (error: Error): void => {
        for (const [, p] of this.waiting) p.reject(error);
        this.waiting.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`parse helper ended (${code})`)));
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** CPU time (ms) the helpers had used as of their last messages. */
  get helperCpuMs(): number {
    let sum = 0;
    for (const ms of this.cpuMs.values()) sum += ms;
    return sum;
  }

  /**
   * Helper `index` reads the files it claims and hands each to `onFile` as it arrives; resolves
   * when it has claimed all it will.
   */
  run(index: number, jobs: (ReadJob | null)[], flags: SharedArrayBuffer, onFile: (index: number, read: HelperRead) => void): Promise<void> {
    const w = this.workers[index];
    if (!w) return Promise.reject(new Error('no such helper'));
    const batch = ++this.batch;
    let encoded = this.encoded.get(jobs);
    if (!encoded) this.encoded.set(jobs, (encoded = encodeJobs(jobs)));
    const message: SharedBatch = { batch, ...encoded, flags };
    return new Promise((resolve, reject) => {
      this.waiting.set(batch, { onFile, resolve, reject });
      w.postMessage(message);
    });
  }

  dispose(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
