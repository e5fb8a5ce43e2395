/**
 * The Roo Code source: `<globalStorage>/rooveterinaryinc.roo-cline/tasks/<id>/ui_messages.json`,
 * a JSON document Roo rewrites whole: read again when it changes (uids, dedupe and upserts keep
 * that exact). The task's folder and parent come from `history_item.json` or `tasks/_index.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EditorStorageOptions } from '../editor-storage';
import { ok, rejected as rejectedOutcome } from '../outcome';
import { readJsonDocument } from '../read-helpers';
import type { AgentSource, DiscoveredFile, SourceProblem } from '../source';
import { walkFiles } from '../walk';
import { lazy } from '../../core/lazy';
import type * as Parse from './parse';
import { rooRoots } from './paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parser = lazy(() => require('./parse') as typeof Parse);

export type RooState = Record<string, never>;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function createRooSource(rootOptions: EditorStorageOptions = {}): AgentSource<RooState> {
  return {
    id: 'roo',
    label: 'Roo Code',
    roots: () => rooRoots(rootOptions),
    discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[] {
      const files: DiscoveredFile[] = [];
      for (const root of roots) {
        for (const p of walkFiles(path.join(root, 'tasks'), { maxDepth: 1, file: (name) => name === 'ui_messages.json' }, problems)) files.push({ path: p, agent: 'roo' });
      }
      return files;
    },
    initialState: () => ({}),
    besideFiles: (file) => [path.join(path.dirname(file.path), 'history_item.json'), path.join(path.dirname(file.path), '..', '_index.json')],
    read(file, fileId, cursor, state, options) {
      const dir = path.dirname(file.path);
      const taskId = path.basename(dir);
      return readJsonDocument(file.path, cursor, state, (doc, sink, s) => {
        if (!Array.isArray(doc)) {
          sink.add(rejectedOutcome('ui_messages.json is not an array'));
          return s;
        }
        const history = parser().historyItem(readJson(path.join(dir, 'history_item.json'))) ?? parser().historyIndex(readJson(path.join(path.dirname(dir), '_index.json'))).get(taskId);
        const r = parser().rooTaskEvents(doc, { taskId, fileId, keepPromptText: options.keepPromptText, history });
        sink.add(ok(r.events));
        for (let i = 0; i < r.rejected; i++) sink.add(rejectedOutcome('row does not match the schema'));
        return s;
      });
    },
  };
}
