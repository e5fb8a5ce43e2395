/**
 * The Codex CLI source: `<CODEX_HOME>/sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/`,
 * append-only JSONL read by byte offsets.
 */
import * as path from 'node:path';
import type { AgentSource, DiscoveredFile, SourceProblem } from '../source';
import { readJsonl } from '../read-helpers';
import { walkFiles } from '../walk';
import { lazy } from '../../core/lazy';
import type * as Parse from './parse';
import type { CodexFileState } from './parse';
import { codexHomes, isRolloutName, rolloutFolders, sessionIdFromName, type CodexRootOptions } from './paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parser = lazy(() => require('./parse') as typeof Parse);

export function createCodexSource(rootOptions: CodexRootOptions = {}): AgentSource<CodexFileState> {
  return {
    id: 'codex',
    label: 'Codex CLI',
    roots: () => codexHomes(rootOptions),
    discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[] {
      const files: DiscoveredFile[] = [];
      for (const root of roots) {
        for (const folder of rolloutFolders) {
          // sessions/YYYY/MM/DD/ (depth 3); archived_sessions/ may be flat or dated.
          for (const p of walkFiles(path.join(root, folder), { maxDepth: 3, file: isRolloutName }, problems)) files.push({ path: p, agent: 'codex' });
        }
      }
      return files;
    },
    initialState: () => parser().initialCodexFileState(),
    read(file, fileId, cursor, state, options) {
      const fromName = sessionIdFromName(path.basename(file.path)) ?? path.basename(file.path);
      const initial = (): CodexFileState => parser().initialCodexFileState(fromName);
      const start = state.line === 0 && state.sessionId === 'unknown' ? initial() : state;
      const ctx = { fileId, keepPromptText: options.keepPromptText };
      return readJsonl(file.path, cursor, start, initial, options, (line, s) => parser().parseCodexLine(line, s, ctx));
    },
  };
}
