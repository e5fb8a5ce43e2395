/**
 * Where OpenCode keeps its data: `$XDG_DATA_HOME/opencode`, default `~/.local/share/opencode`
 * (OpenCode uses XDG paths on macOS too, and the same relative path under the user profile on
 * Windows), with the SQLite database `opencode.db` in WAL mode (../shared/formats/other-agents.md §5).
 */
import * as path from 'node:path';
import { envOf, homeOf, resolveRoots, type RootOptions } from '../roots';

export type OpenCodeRootOptions = RootOptions;

export const databaseName = 'opencode.db';

export function openCodeDataDirs(options: OpenCodeRootOptions = {}): string[] {
  const env = envOf(options);
  const dataHome = env.XDG_DATA_HOME?.trim() || path.join(homeOf(options), '.local', 'share');
  return resolveRoots(options, [path.join(dataHome, 'opencode')]);
}
