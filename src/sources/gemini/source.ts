/**
 * The Gemini CLI source: `<~/.gemini>/tmp/<project>/chats/` — append-only `.jsonl` chats read by
 * byte offsets, and older one-document `session-*.json` files read whole when they change.
 */
import * as path from 'node:path';
import { malformed, parseObject } from '../outcome';
import { readJsonl, readWholeDocument } from '../read-helpers';
import type { AgentSource, DiscoveredFile, SourceProblem } from '../source';
import { walkFiles } from '../walk';
import { initialGeminiFileState, parseGeminiDocument, parseGeminiLine, type GeminiFileState, type GeminiParseContext } from './parse';
import { geminiHomes, isChatName, projectOf, projectRoots, type GeminiRootOptions } from './paths';

export function createGeminiSource(rootOptions: GeminiRootOptions = {}): AgentSource<GeminiFileState> {
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
      }
      return files;
    },
    initialState: initialGeminiFileState,
    read(file, fileId, cursor, state, options) {
      const name = path.basename(file.path);
      const ctx: GeminiParseContext = {
        fileId,
        fileKey: `${path.basename(path.dirname(file.path))}/${name}`,
        fallbackSessionId: name.replace(/\.jsonl?$/, ''),
        project: file.projectHint,
        keepPromptText: options.keepPromptText,
      };
      if (name.endsWith('.json')) {
        return readWholeDocument(file.path, cursor, state, (text, sink, s) => {
          const parsed = parseObject(text);
          sink.add(parsed.ok ? parseGeminiDocument(parsed.value, s, ctx) : malformed(parsed.reason));
          return s;
        });
      }
      return readJsonl(file.path, cursor, state, initialGeminiFileState, options, (line, s) => {
        const parsed = parseObject(line);
        return parsed.ok ? parseGeminiLine(parsed.value, s, ctx) : malformed(parsed.reason);
      });
    },
  };
}
