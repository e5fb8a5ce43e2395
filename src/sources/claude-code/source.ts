/**
 * The Claude Code source: `<root>/projects/<enc-cwd>/*.jsonl` and
 * `<root>/projects/<enc-cwd>/<session>/subagents/*.jsonl` under every config root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MeterEvent } from '../../core/usage';
import { emptyHealth, type AgentSource, type DiscoveredFile, type ReadOptions, type ReadResult, type SourceProblem } from '../source';
import { replayLines, tailFile, tailRaw, type CollectedLines, type FileCursor, type TailResult } from '../tail';
import { lazy } from '../../core/lazy';
import { walkFiles } from '../walk';
import type * as ConnectParse from './connect-parse';
import { transcriptFilter } from './filter';
import { initialClaudeFileState, parseClaudeBytes, type ClaudeFileState, type ClaudeParseContext, type LineOutcome } from './parse';
import { claudeConfigRoots, projectFromDirName, projectsDir, type ClaudeRootOptions } from './paths';

const headBytes = 8 * 1024;
const timestampRe = /"timestamp":"(\d{4}-\d\d-\d\dT[^"]{1,30})"/;

/** Connect's spool files (`*.jsonl` directly in the folder). */
function discoverSpool(dir: string, problems: SourceProblem[]): DiscoveredFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ path: dir, message: String(error) });
    return [];
  }
  return names.filter((n) => n.endsWith('.jsonl')).map((n) => ({ path: path.join(dir, n), agent: 'claude-code' as const }));
}

/**
 * Connect's spool reader, loaded when a spool line is first read: its schemas are the largest of
 * the engine's, and a history without Connect never needs them.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const spoolParser = lazy(() => require('./connect-parse') as typeof ConnectParse);

/**
 * One file's lines → events, health and problems; `finish` adds what the reading loop counted.
 * The same whether the lines come straight from the file or from a helper thread. A class, not
 * closures made per file: the loop that hands a helper's lines over calls the same function for
 * every file, so V8's optimised loop stays valid (a closure per file made it deoptimise twice).
 */
class LineReader {
  private readonly health = emptyHealth();
  private readonly problems: SourceProblem[] = [];
  private readonly events: MeterEvent[] = [];
  private readonly ctx: ClaudeParseContext;

  constructor(
    private readonly file: DiscoveredFile,
    fileId: number,
    state: ClaudeFileState,
    options: ReadOptions,
  ) {
    this.ctx = { fileId, state: { ...state }, projectHint: file.projectHint, keepPromptText: options.keepPromptText };
  }

  onBytes(buf: Buffer, start: number, end: number): void {
    this.onOutcome(parseClaudeBytes(buf, start, end, this.ctx));
  }

  onSpoolLine(line: string): void {
    this.onOutcome(spoolParser().parseSpoolLine(line, this.ctx));
  }

  /** Rewritten or replaced: the file's parser state starts afresh too. */
  restart(): void {
    this.ctx.state = initialClaudeFileState();
  }

  private onOutcome(outcome: LineOutcome): void {
    const health = this.health;
    switch (outcome.status) {
      case 'ok':
        health.parsed++;
        for (const e of outcome.events) this.events.push(e);
        break;
      case 'skipped':
        health.skipped++;
        break;
      case 'malformed':
        health.malformed++;
        if (health.malformed <= 3) this.problems.push({ path: this.file.path, message: `malformed line skipped (${outcome.reason ?? 'invalid'})` });
        break;
      case 'rejected':
        health.rejected++;
        if (health.rejected <= 3) this.problems.push({ path: this.file.path, message: `line rejected: ${outcome.reason ?? 'invalid'}` });
        break;
    }
  }

  finish(tail: TailResult): ReadResult<ClaudeFileState> {
    const { health, problems, file } = this;
    health.skipped += tail.filtered;
    health.malformed += tail.malformed;
    if (tail.malformed > 0) problems.push({ path: file.path, message: `${tail.malformed} line(s) that are not JSON objects skipped` });
    health.oversized += tail.oversized;
    health.bytesRead += tail.bytesRead;
    if (tail.oversized > 0) problems.push({ path: file.path, message: `${tail.oversized} oversized line(s) skipped` });
    if (tail.status === 'unreadable') {
      health.unreadableFiles++;
      problems.push({ path: file.path, message: tail.error ?? 'unreadable' });
    }
    return { events: this.events, cursor: tail.cursor, state: this.ctx.state, health, problems, restarted: tail.status === 'rewritten', missing: tail.status === 'missing' };
  }
}

export function createClaudeCodeSource(rootOptions: ClaudeRootOptions = {}): AgentSource<ClaudeFileState> {
  const spoolDir = rootOptions.spoolDir ? path.resolve(rootOptions.spoolDir) : undefined;
  const isSpool = (file: string): boolean => spoolDir !== undefined && path.dirname(file) === spoolDir;
  return {
    id: 'claude-code',
    label: 'Claude Code',
    // The spool folder is a root too, so the scanner watches it.
    roots: () => (spoolDir ? [...claudeConfigRoots(rootOptions), spoolDir] : claudeConfigRoots(rootOptions)),
    discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[] {
      const files: DiscoveredFile[] = [];
      for (const root of roots) {
        if (root === spoolDir) {
          files.push(...discoverSpool(spoolDir, problems));
          continue;
        }
        const projects = projectsDir(root);
        const found = walkFiles(
          projects,
          {
            maxDepth: 3,
            file: (name) => name.endsWith('.jsonl'),
            // <enc-cwd>/ (depth 1), <session>/ (2), subagents/ (3)
            dir: (name, _parent, depth) => depth < 3 || name === 'subagents',
          },
          problems,
        );
        // A found path is the projects folder's path, a separator, then `<enc-cwd>/…` (walkFiles
        // joins them so), so the project folder's name is read off it (path.relative: 20 ms here).
        const prefix = path.join(projects, path.sep);
        for (const p of found) {
          const rest = p.startsWith(prefix) ? p.slice(prefix.length) : path.relative(projects, p);
          const cut = rest.indexOf(path.sep);
          const dirName = cut === -1 ? rest : rest.slice(0, cut);
          files.push({ path: p, agent: 'claude-code', projectHint: dirName ? projectFromDirName(dirName) : undefined });
        }
      }
      return files;
    },
    initialState: initialClaudeFileState,
    orderKey(file: DiscoveredFile): number {
      // The spool after the transcripts (its facts refer to their sessions, in any order).
      if (isSpool(file.path)) return Number.MAX_SAFE_INTEGER - 1;
      // Originals before forks: order by when a file was created (birth time where the file
      // system keeps one; else the first timestamp it holds).
      try {
        const st = fs.statSync(file.path);
        // Kept for planning the first scan (which thread reads it) and for its first read, so
        // nobody stats the file again for those.
        if (st.isFile()) file.foundStat = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
        const birth = st.birthtimeMs;
        if (birth > 0) return birth;
        const fd = fs.openSync(file.path, 'r');
        try {
          const buf = Buffer.alloc(headBytes);
          const n = fs.readSync(fd, buf, 0, headBytes, 0);
          const m = timestampRe.exec(buf.toString('utf8', 0, n));
          const ts = m?.[1] ? Date.parse(m[1]) : NaN;
          if (Number.isFinite(ts)) return ts;
        } finally {
          fs.closeSync(fd);
        }
        return fs.statSync(file.path).mtimeMs;
      } catch {
        return Number.MAX_SAFE_INTEGER;
      }
    },
    read(file, fileId, cursor: FileCursor, state: ClaudeFileState, options): ReadResult<ClaudeFileState> {
      const reader = new LineReader(file, fileId, state, options);
      const onRestart = (): void => reader.restart();
      // Transcripts are parsed from their bytes (the projection: no JSON.parse of whole lines);
      // Connect's spool, a few small lines, as text.
      const tail = isSpool(file.path)
        ? tailFile(file.path, cursor, (line) => reader.onSpoolLine(line), { budgetBytes: options.budgetBytes, onRestart })
        : tailRaw(file.path, cursor, (buf, start, end) => reader.onBytes(buf, start, end), { ...transcriptFilter, budgetBytes: options.budgetBytes, onRestart, knownStat: options.knownStat });
      return reader.finish(tail);
    },
    parseCollected(file, fileId, lines: CollectedLines, state: ClaudeFileState, options): ReadResult<ClaudeFileState> {
      const reader = new LineReader(file, fileId, state, options);
      if (lines.tail.status === 'rewritten') reader.restart();
      replayLines(lines, reader);
      return reader.finish(lines.tail);
    },
  };
}
