/**
 * The Cline source: classic tasks (`<globalStorage>/saoudrizwan.claude-dev/tasks/<id>/ui_messages.json`)
 * and 4.x SDK sessions (`~/.cline/data/sessions/<id>/<id>.messages.json`). Both are JSON documents
 * Cline rewrites whole: read again when they change (uids, dedupe and upserts keep that exact).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MeterEvent } from '../../core/usage';
import type { EditorStorageOptions } from '../editor-storage';
import { ok, parseObject, rejected as rejectedOutcome, type OutcomeSink } from '../outcome';
import { readJsonDocument } from '../read-helpers';
import type { AgentSource, DiscoveredFile, SourceProblem } from '../source';
import type * as UiMessages from '../ui-messages';
import { lazy } from '../../core/lazy';
import { walkFiles } from '../walk';
import type * as Parse from './parse';
import { clineRoots } from './paths';
import type * as Schema from './schema';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parser = lazy(() => require('./parse') as typeof Parse);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = lazy(() => require('./schema') as typeof Schema);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const uiMessages = lazy(() => require('../ui-messages') as typeof UiMessages);

/** Nothing to carry between reads of a document: it is read whole. */
export type ClineState = Record<string, never>;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Task id → folder the task ran in, from `state/taskHistory.json`. */
function taskFolders(storage: string): Map<string, string> {
  const p = schemas().taskHistorySchema.safeParse(readJson(path.join(storage, 'state', 'taskHistory.json')));
  const out = new Map<string, string>();
  if (p.success) for (const h of p.data) if (h.cwdOnTaskInitialization) out.set(h.id, h.cwdOnTaskInitialization);
  return out;
}

function addDocumentEvents(sink: OutcomeSink, result: { events: MeterEvent[]; rejected: number }): void {
  sink.add(ok(result.events));
  for (let i = 0; i < result.rejected; i++) sink.add(rejectedOutcome('record does not match the schema'));
}

export function createClineSource(rootOptions: EditorStorageOptions = {}): AgentSource<ClineState> {
  return {
    id: 'cline',
    label: 'Cline',
    roots: () => clineRoots(rootOptions),
    discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[] {
      const files: DiscoveredFile[] = [];
      for (const root of roots) {
        const tasks = path.join(root, 'tasks');
        const found = walkFiles(tasks, { maxDepth: 1, file: (name) => name === 'ui_messages.json' }, problems);
        const folders = found.length > 0 ? taskFolders(root) : new Map<string, string>();
        for (const p of found) files.push({ path: p, agent: 'cline', projectHint: folders.get(path.basename(path.dirname(p))) });
        // 4.x: the root is a sessions folder of `<id>/<id>.messages.json`.
        for (const p of walkFiles(root, { maxDepth: 1, file: (name, dir) => name === `${path.basename(dir)}.messages.json`, dir: (name) => name !== 'tasks' }, problems)) {
          files.push({ path: p, agent: 'cline' });
        }
      }
      return files;
    },
    initialState: () => ({}),
    besideFiles(file) {
      const dir = path.dirname(file.path);
      const id = path.basename(dir);
      return path.basename(file.path) === 'ui_messages.json'
        ? [path.join(dir, 'task_metadata.json'), path.join(dir, '..', '..', 'state', 'taskHistory.json')]
        : [path.join(dir, `${id}.json`)];
    },
    read(file, fileId, cursor, state, options) {
      const dir = path.dirname(file.path);
      const id = path.basename(dir);
      return readJsonDocument(file.path, cursor, state, (doc, sink, s) => {
        if (path.basename(file.path) === 'ui_messages.json') {
          if (!Array.isArray(doc)) {
            sink.add(rejectedOutcome('ui_messages.json is not an array'));
            return s;
          }
          const metadata = readJson(path.join(dir, 'task_metadata.json'));
          addDocumentEvents(
            sink,
            uiMessages().uiMessageEvents(doc, { agent: 'cline', taskId: id, sessionId: id, fileId, project: file.projectHint, keepPromptText: options.keepPromptText, modelAt: parser().modelTimeline(metadata, undefined) }),
          );
        } else {
          const manifest = parseObject(fs.existsSync(path.join(dir, `${id}.json`)) ? fs.readFileSync(path.join(dir, `${id}.json`), 'utf8') : '');
          addDocumentEvents(sink, parser().clineSdkEvents(doc, manifest.ok ? manifest.value : undefined, { fileId, sessionId: id, keepPromptText: options.keepPromptText }));
        }
        return s;
      });
    },
  };
}
