/**
 * The table of agent sources. Adding an agent = one folder under sources/ and one entry here
 * (the `satisfies` makes a missing agent a type error).
 */
import type { AgentId } from '../core/usage';
import type { ClaudeRootOptions } from '../sources/claude-code/paths';
import { createClaudeCodeSource } from '../sources/claude-code/source';
import { createClineSource } from '../sources/cline/source';
import { createCodexSource } from '../sources/codex/source';
import { createGeminiSource } from '../sources/gemini/source';
import { createOpenCodeSource } from '../sources/opencode/source';
import { createRooSource } from '../sources/roo/source';
import type { EditorStorageOptions } from '../sources/editor-storage';
import type { RootOptions } from '../sources/roots';
import type { AgentSource } from '../sources/source';

export interface SourceOptions {
  /** Environment and home folder every source resolves its default folders from (CLI, tests). */
  env?: NodeJS.ProcessEnv;
  home?: string;
  claude?: ClaudeRootOptions;
  codex?: RootOptions;
  gemini?: RootOptions;
  opencode?: RootOptions;
  /** Cline: its globalStorage folders and 4.x sessions folder. */
  cline?: EditorStorageOptions;
  roo?: EditorStorageOptions;
  /** The running editor's `globalStorage` folder (Cline and Roo Code live beside us). */
  globalStorageDirs?: readonly string[];
}

/** An agent's own options, with the shared environment and home filled in. */
function rootsFor<T extends RootOptions>(o: SourceOptions, own: T | undefined): T | RootOptions {
  return { env: o.env, home: o.home, ...own };
}

const factories = {
  'claude-code': (o: SourceOptions) => createClaudeCodeSource(rootsFor(o, o.claude)),
  codex: (o: SourceOptions) => createCodexSource(rootsFor(o, o.codex)),
  gemini: (o: SourceOptions) => createGeminiSource(rootsFor(o, o.gemini)),
  opencode: (o: SourceOptions) => createOpenCodeSource(rootsFor(o, o.opencode)),
  cline: (o: SourceOptions) => createClineSource({ globalStorageDirs: o.globalStorageDirs, ...rootsFor(o, o.cline) }),
  roo: (o: SourceOptions) => createRooSource({ globalStorageDirs: o.globalStorageDirs, ...rootsFor(o, o.roo) }),
} satisfies Record<AgentId, (o: SourceOptions) => AgentSource>;

export const implementedAgents = Object.keys(factories) as (keyof typeof factories)[];

export function sourceFor(agent: AgentId, options: SourceOptions): AgentSource {
  const f = (factories as Partial<Record<AgentId, (o: SourceOptions) => AgentSource>>)[agent];
  if (!f) throw new Error(`no source for ${agent}`);
  return f(options);
}
