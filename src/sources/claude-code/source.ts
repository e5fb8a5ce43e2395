/**
 * The Claude Code source: `<root>/projects/<enc-cwd>/*.jsonl` and
 * `<root>/projects/<enc-cwd>/<session>/subagents/*.jsonl` under every config root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MeterEvent } from '../../core/usage';
import { emptyHealth, type AgentSource, type DiscoveredFile, type ReadResult, type SourceProblem } from '../source';
import { tailFile, type FileCursor } from '../tail';
import { walkFiles } from '../walk';
import { claudeLineFilter, initialClaudeFileState, parseClaudeLine, type ClaudeFileState } from './parse';
import { claudeConfigRoots, projectFromDirName, projectsDir, type ClaudeRootOptions } from './paths';

const headBytes = 8 * 1024;
const timestampRe = /"timestamp":"(\d{4}-\d\d-\d\dT[^"]{1,30})"/;

export function createClaudeCodeSource(rootOptions: ClaudeRootOptions = {}): AgentSource<ClaudeFileState> {
  return {
    id: 'claude-code',
    label: 'Claude Code',
    roots: () => claudeConfigRoots(rootOptions),
    discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[] {
      const files: DiscoveredFile[] = [];
      for (const root of roots) {
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
        for (const p of found) {
          const rel = path.relative(projects, p).split(path.sep);
          files.push({ path: p, agent: 'claude-code', projectHint: rel[0] ? projectFromDirName(rel[0]) : undefined });
        }
      }
      return files;
    },
    initialState: initialClaudeFileState,
    orderKey(file: DiscoveredFile): number {
      // Originals before forks: order by when a file was created (birth time where the file
      // system keeps one; else the first timestamp it holds).
      try {
        const birth = fs.statSync(file.path).birthtimeMs;
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
      const health = emptyHealth();
      const problems: SourceProblem[] = [];
      const events: MeterEvent[] = [];
      const ctx = { fileId, state: { ...state }, projectHint: file.projectHint, keepPromptText: options.keepPromptText };
      const onLine = (line: string): void => {
        const outcome = parseClaudeLine(line, ctx);
        switch (outcome.status) {
          case 'ok':
            health.parsed++;
            for (const e of outcome.events) events.push(e);
            break;
          case 'skipped':
            health.skipped++;
            break;
          case 'malformed':
            health.malformed++;
            if (health.malformed <= 3) problems.push({ path: file.path, message: `malformed line skipped (${outcome.reason ?? 'invalid'})` });
            break;
          case 'rejected':
            health.rejected++;
            if (health.rejected <= 3) problems.push({ path: file.path, message: `line rejected: ${outcome.reason ?? 'invalid'}` });
            break;
        }
      };
      const tail = tailFile(file.path, cursor, onLine, {
        filter: claudeLineFilter,
        budgetBytes: options.budgetBytes,
        // Rewritten or replaced: the file's parser state starts afresh too.
        onRestart: () => {
          ctx.state = initialClaudeFileState();
        },
      });
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
      return {
        events,
        cursor: tail.cursor,
        state: ctx.state,
        health,
        problems,
        restarted: tail.status === 'rewritten',
        missing: tail.status === 'missing',
      };
    },
  };
}
