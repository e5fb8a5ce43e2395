/**
 * Parallel file reading for cold scans. The files of a batch are in the global reading order
 * (originals before their forks). The calling thread takes them from the front and folds each
 * into the meter at once (its events never pile up); the helpers take them from the back. Each
 * file is claimed once through a shared flag array, so whichever side is faster reads more, and
 * where the two meet, the helpers' files follow the caller's in the same order.
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { AgentId } from '../core/usage';
import type { DiscoveredFile, ReadOptions, ReadResult } from '../sources/source';
import type { FileCursor } from '../sources/tail';

export interface ReadJob {
  agent: AgentId;
  file: DiscoveredFile;
  fileId: number;
  cursor: FileCursor;
  state: unknown;
  options: ReadOptions;
}

export interface JobResult {
  index: number;
  result: ReadResult<unknown>;
}

/** To a helper: the batch's jobs (null: only the calling thread can read that file) and their claim flags. */
export interface SharedBatch {
  batch: number;
  jobs: (ReadJob | null)[];
  flags: SharedArrayBuffer;
}

type HelperMessage = { type: 'done'; batch: number; results: JobResult[] } | { type: 'error'; batch: number; error: string };

/** Claim flags: free, taken by the caller (front), by a helper (back), or the caller's only. */
const Claim = { Free: 0, Front: 1, Back: 2, FrontOnly: 3 } as const;

export function newFlags(jobs: readonly (ReadJob | null)[]): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * Math.max(1, jobs.length));
  const flags = new Int32Array(sab);
  jobs.forEach((j, i) => {
    if (j === null) flags[i] = Claim.FrontOnly;
  });
  return sab;
}

/**
 * The calling thread's next file: `index` if it is still free (now claimed) or the caller's only;
 * false once a helper has it (then every later file is a helper's).
 */
export function claimFront(flags: Int32Array, index: number): boolean {
  const was = Atomics.compareExchange(flags, index, Claim.Free, Claim.Front);
  return was === Claim.Free || was === Claim.FrontOnly;
}

/**
 * A helper's files, from the back: the indexes it claims, stopping where the calling thread has
 * been (files only the caller can read, or another helper took, are passed over).
 */
export function* claimBack(flags: Int32Array, count: number): Generator<number> {
  for (let i = count - 1; i >= 0; i--) {
    const was = Atomics.compareExchange(flags, i, Claim.Free, Claim.Back);
    if (was === Claim.Free) yield i;
    else if (was === Claim.Front) return;
  }
}

export class ParsePool {
  private readonly workers: Worker[] = [];
  private batch = 0;
  private readonly waiting = new Map<number, { resolve: (r: JobResult[]) => void; reject: (e: Error) => void }>();

  /** `helperPath`: the bundled parse-worker.js (or its tsc output in tests). */
  constructor(helperPath: string, helpers: number) {
    if (!fs.existsSync(helperPath)) return;
    for (let i = 0; i < helpers; i++) {
      const w = new Worker(helperPath, { name: `taximeter-parse-${i}` });
      w.on('message', (m: HelperMessage) => {
        const p = this.waiting.get(m.batch);
        if (!p) return;
        this.waiting.delete(m.batch);
        if (m.type === 'done') p.resolve(m.results);
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

  /** Helper `index` reads the files it claims from the back; resolves with what it read. */
  run(index: number, jobs: (ReadJob | null)[], flags: SharedArrayBuffer): Promise<JobResult[]> {
    const w = this.workers[index];
    if (!w) return Promise.reject(new Error('no such helper'));
    const batch = ++this.batch;
    return new Promise((resolve, reject) => {
      this.waiting.set(batch, { resolve, reject });
      const message: SharedBatch = { batch, jobs, flags };
      w.postMessage(message);
    });
  }

  dispose(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
