/**
 * Where Gemini CLI keeps its chats: `~/.gemini` (`$GEMINI_CLI_HOME/.gemini` when set; Windows
 * under the user profile), `tmp/<project slug or hash>/chats/session-*.jsonl` (and older
 * `session-*.json`), subagents in `chats/<parent session>/<session>.jsonl`
 * (../shared/formats/other-agents.md §2). The project folder comes from `projects.json`
 * (`{"projects": {"<root>": "<slug>"}}`) or the `.project_root` file beside `chats/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { lazy } from '../../core/lazy';
import { envOf, expandHome, homeOf, resolveRoots, type RootOptions } from '../roots';

export type GeminiRootOptions = RootOptions;

export function geminiHomes(options: GeminiRootOptions = {}): string[] {
  const env = envOf(options);
  const base = env.GEMINI_CLI_HOME?.trim() || homeOf(options);
  return resolveRoots(options, [path.join(base, '.gemini')]);
}

export function isChatName(name: string): boolean {
  return name.endsWith('.jsonl') || (name.startsWith('session-') && name.endsWith('.json'));
}

// Built at first use (see lazy.ts): most machines have no Gemini home.
const projectsSchema = lazy(() => z.object({ projects: z.record(z.string(), z.string()) }));

const settingsSchema = lazy(() =>
  z.object({
    telemetry: z.object({ enabled: z.boolean().optional(), target: z.string().optional(), outfile: z.string().optional() }).optional(),
  }),
);

/**
 * The telemetry file of a Gemini home: `settings.json` with `telemetry.enabled`, target `local`
 * and an absolute (or `~`) `outfile`. The compression calls appear only there.
 */
export function telemetryOutfile(geminiHome: string, home: string): string | undefined {
  try {
    const p = settingsSchema().safeParse(JSON.parse(fs.readFileSync(path.join(geminiHome, 'settings.json'), 'utf8')));
    const t = p.success ? p.data.telemetry : undefined;
    if (!t?.enabled || (t.target !== undefined && t.target !== 'local') || !t.outfile) return undefined;
    const file = expandHome(t.outfile, home);
    return path.isAbsolute(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The Gemini home a chat file lives in: `<home>/tmp/<project>/chats/[<parent>/]<file>`. */
export function geminiHomeOfChat(chatFile: string): string | undefined {
  const parts = chatFile.split(path.sep);
  const chats = parts.lastIndexOf('chats');
  return chats >= 3 && parts[chats - 2] === 'tmp' ? parts.slice(0, chats - 2).join(path.sep) || path.sep : undefined;
}

export function isChatPath(file: string): boolean {
  return isChatName(path.basename(file)) && geminiHomeOfChat(file) !== undefined;
}

/** Project slug (folder under tmp/) → absolute project root, from `projects.json`. */
export function projectRoots(geminiHome: string): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const parsed = projectsSchema().safeParse(JSON.parse(fs.readFileSync(path.join(geminiHome, 'projects.json'), 'utf8')));
    if (parsed.success) for (const [root, slug] of Object.entries(parsed.data.projects)) out.set(slug, root);
  } catch {
    // absent or unreadable: projects fall back to `.project_root` or the folder name
  }
  return out;
}

/** The project of a folder under tmp/: `projects.json`, else `.project_root`, else its name. */
export function projectOf(geminiHome: string, slug: string, fromRegistry: Map<string, string>): string {
  const known = fromRegistry.get(slug);
  if (known) return known;
  try {
    const text = fs.readFileSync(path.join(geminiHome, 'tmp', slug, '.project_root'), 'utf8').trim();
    if (text) return text;
  } catch {
    // no marker file
  }
  return slug;
}
