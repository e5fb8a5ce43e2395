/**
 * Where Codex CLI keeps its rollouts: `$CODEX_HOME` (default `~/.codex`, also on Windows under
 * the user profile), `sessions/YYYY/MM/DD/rollout-<time>-<session uuid>.jsonl` and
 * `archived_sessions/` (../shared/formats/other-agents.md §1).
 */
import * as path from 'node:path';
import { envOf, homeOf, resolveRoots, type RootOptions } from '../roots';

export type CodexRootOptions = RootOptions;

export function codexHomes(options: CodexRootOptions = {}): string[] {
  const env = envOf(options);
  return resolveRoots(options, [env.CODEX_HOME?.trim() || path.join(homeOf(options), '.codex')]);
}

/** The folders under a Codex home that hold rollouts. */
export const rolloutFolders = ['sessions', 'archived_sessions'] as const;

const rolloutName = /^rollout-.*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;

export function isRolloutName(name: string): boolean {
  return rolloutName.test(name);
}

/** Session id (the UUID at the end of the file name), when the name has one. */
export function sessionIdFromName(name: string): string | undefined {
  return rolloutName.exec(name)?.[1]?.toLowerCase();
}
