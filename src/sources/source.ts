/**
 * The contract every agent source fulfils (Node I/O allowed, 'vscode' forbidden). Adding an agent
 * means one folder under sources/ and one entry in `agentIds`.
 */
import type { AgentId, MeterEvent } from '../core/usage';
import type { CollectedLines, FileCursor } from './tail';

export interface DiscoveredFile {
  path: string;
  agent: AgentId;
  /** Project folder guessed from where the file lives. */
  projectHint?: string;
  /**
   * A regular file's size, mtime and inode when it was found, where discovery stat'ed it anyway. A
   * first scan plans by its size (which thread reads the file), and the file's first read (cursor
   * at 0) reads up to that size without a stat of its own — what was appended since is read next
   * time, like anything appended after a read. Dropped at that read.
   */
  foundStat?: KnownStat;
}

/** What a read needs of a file's stat. */
export interface KnownStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface SourceHealth {
  /** Lines that were not JSON (or not an object). */
  malformed: number;
  /** Lines that were JSON but failed the record schema (bad types, negative counts, …). */
  rejected: number;
  /** Lines decoded and understood. */
  parsed: number;
  /** Lines skipped as records without usage (before or after decoding). */
  skipped: number;
  /** Lines too long to decode. */
  oversized: number;
  /** Files that could not be read (permissions, vanished, …). */
  unreadableFiles: number;
  bytesRead: number;
}

export function emptyHealth(): SourceHealth {
  return { malformed: 0, rejected: 0, parsed: 0, skipped: 0, oversized: 0, unreadableFiles: 0, bytesRead: 0 };
}

export function addHealth(into: SourceHealth, add: SourceHealth): void {
  into.malformed += add.malformed;
  into.rejected += add.rejected;
  into.parsed += add.parsed;
  into.skipped += add.skipped;
  into.oversized += add.oversized;
  into.unreadableFiles += add.unreadableFiles;
  into.bytesRead += add.bytesRead;
}

/** One problem worth a log line. */
export interface SourceProblem {
  path: string;
  message: string;
}

export interface ReadResult<S> {
  events: MeterEvent[];
  cursor: FileCursor;
  state: S;
  health: SourceHealth;
  problems: SourceProblem[];
  /** The file was rewritten or replaced and read again from the start. */
  restarted: boolean;
  missing: boolean;
}

export interface ReadOptions {
  keepPromptText: boolean;
  budgetBytes?: number;
  /** The file's stat from its discovery, for its first read (see `DiscoveredFile.foundStat`). */
  knownStat?: KnownStat;
}

export interface AgentSource<S = unknown> {
  id: AgentId;
  label: string;
  /** Candidate roots (they need not exist). */
  roots(): string[];
  /** Every file that may hold usage under the roots; a missing root is simply empty. */
  discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[];
  initialState(): S;
  /** Read what is new in one file. */
  read(file: DiscoveredFile, fileId: number, cursor: FileCursor, state: S, options: ReadOptions): ReadResult<S>;
  /**
   * The second half of `read`, for lines a helper thread read and filtered (Claude Code
   * transcripts: `collectTranscript`): exactly what `read` would have returned.
   */
  parseCollected?(file: DiscoveredFile, fileId: number, lines: CollectedLines, state: S, options: ReadOptions): ReadResult<S>;
  /**
   * Whether something beside the file changed that its reading depends on (a database's `-wal`),
   * for polling; the file's own size, mtime and inode are checked by the engine.
   */
  changedBeside?(file: DiscoveredFile, state: S): boolean;
  /**
   * Files beside this one whose change changes what it yields (a database's `-wal`, a task's
   * metadata, the settings that enable a telemetry file): the CLI's warm cache checks them too.
   */
  besideFiles?(file: DiscoveredFile): string[];
  /** A cheap key that orders files so originals are read before their forks (earliest first). */
  orderKey?(file: DiscoveredFile): number;
}
