/**
 * The Gemini CLI source: `<~/.gemini>/tmp/<project>/chats/` — append-only `.jsonl` chats read by
 * byte offsets, and older one-document `session-*.json` files read whole when they change — plus
 * the local telemetry file when the user enabled it in `settings.json` (compression calls).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { malformed, OutcomeSink, parseObject } from '../outcome';
import { readConcatenatedObjects, readJsonl, readWholeDocument } from '../read-helpers';
import { homeOf } from '../roots';
import { emptyHealth, type AgentSource, type DiscoveredFile, type ReadResult, type SourceProblem } from '../source';
import type { FileCursor } from '../tail';
import { walkFiles } from '../walk';
import { lazy } from '../../core/lazy';
import type * as Parse from './parse';
import type { GeminiFileState, GeminiParseContext } from './parse';
import { geminiHomeOfChat, geminiHomes, isChatName, isChatPath, projectOf, projectRoots, telemetryOutfile, type GeminiRootOptions } from './paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parser = lazy(() => require('./parse') as typeof Parse);

/** Only these telemetry records are decoded; the rest (spans, metrics, prompts) are skipped unread. */
const telemetryMarkers = ['"gemini_cli.api_response"', '"gemini_cli.chat_compression"'];

export function createGeminiSource(rootOptions: GeminiRootOptions = {}): AgentSource<GeminiFileState> {
  const home = homeOf(rootOptions);
  return {
    id: 'gemini',
    label: 'Gemini CLI',
    roots: () => geminiHomes(rootOptions),
    discover(roots: readonly string[], problems: SourceProblem[]): DiscoveredFile[] {
      const files: DiscoveredFile[] = [];
      for (const root of roots) {
        const tmp = path.join(root, 'tmp');
        const registry = projectRoots(root);
        const found = walkFiles(
          tmp,
          {
            // <project>/ (1), chats/ (2), <parent session>/ (3, subagents)
            maxDepth: 3,
            file: (name, dir) => isChatName(name) && path.relative(tmp, dir).split(path.sep).includes('chats'),
            dir: (name, _parent, depth) => depth !== 2 || name === 'chats',
          },
          problems,
        );
        for (const p of found) {
          const slug = path.relative(tmp, p).split(path.sep)[0] ?? '';
          files.push({ path: p, agent: 'gemini', projectHint: projectOf(root, slug, registry) });
        }
        const telemetry = telemetryOutfile(root, home);
        if (telemetry && fs.existsSync(telemetry)) files.push({ path: telemetry, agent: 'gemini' });
      }
      return files;
    },
    initialState: () => parser().initialGeminiFileState(),
    besideFiles(file) {
      const geminiHome = geminiHomeOfChat(file.path);
      return geminiHome ? [path.join(geminiHome, 'settings.json'), path.join(geminiHome, 'projects.json')] : [];
    },
    read(file, fileId, cursor, state, options) {
      if (!isChatPath(file.path)) return readTelemetry(file.path, fileId, cursor, state);
      const name = path.basename(file.path);
      const geminiHome = geminiHomeOfChat(file.path);
      const outfile = geminiHome ? telemetryOutfile(geminiHome, home) : undefined;
      const ctx: GeminiParseContext = {
        fileId,
        fileKey: `${path.basename(path.dirname(file.path))}/${name}`,
        fallbackSessionId: name.replace(/\.jsonl?$/, ''),
        parentSessionId: path.basename(path.dirname(file.path)) === 'chats' ? undefined : path.basename(path.dirname(file.path)),
        project: file.projectHint,
        keepPromptText: options.keepPromptText,
        telemetry: outfile !== undefined && fs.existsSync(outfile),
      };
      if (name.endsWith('.json')) {
        return readWholeDocument(file.path, cursor, state, (text, sink, s) => {
          const parsed = parseObject(text);
          sink.add(parsed.ok ? parser().parseGeminiDocument(parsed.value, s, ctx) : malformed(parsed.reason));
          return s;
        });
      }
      return readJsonl(file.path, cursor, state, () => parser().initialGeminiFileState(), options, (line, s) => {
        const parsed = parseObject(line);
        return parsed.ok ? parser().parseGeminiLine(parsed.value, s, ctx) : malformed(parsed.reason);
      });
    },
  };
}

function readTelemetry(file: string, fileId: number, cursor: FileCursor, state: GeminiFileState): ReadResult<GeminiFileState> {
  const sink = new OutcomeSink(file, emptyHealth(), []);
  // A file rewritten from the start is read again whole: what it held was already counted (uids).
  const current = structuredClone(state);
  let decoded = 0;
  const r = readConcatenatedObjects(file, cursor, telemetryMarkers, (text) => {
    decoded++;
    sink.add(parser().parseGeminiTelemetry(text, current, { fileId }));
  });
  sink.health.bytesRead += r.bytesRead;
  // Spans, metrics and other events are skipped without decoding.
  sink.health.skipped += r.objects - decoded;
  if (r.skippedBytes > 0) {
    sink.health.malformed++;
    sink.problems.push({ path: file, message: `${r.skippedBytes} byte(s) that are not JSON objects skipped` });
  }
  if (r.status === 'unreadable') {
    sink.health.unreadableFiles++;
    sink.problems.push({ path: file, message: r.error ?? 'unreadable' });
  }
  return { events: sink.events, cursor: r.cursor, state: current, health: sink.health, problems: sink.problems, restarted: r.status === 'rewritten', missing: r.status === 'missing' };
}
