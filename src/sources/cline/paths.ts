/**
 * Where Cline keeps its tasks (../shared/formats/other-agents.md §3):
 * - classic (≤ 3.x): the editor's globalStorage `saoudrizwan.claude-dev/tasks/<id>/ui_messages.json`
 *   (VS Code, Insiders, VSCodium, Cursor, Windsurf; Linux, macOS, Windows);
 * - 4.x SDK sessions: `$CLINE_DATA_DIR`, else `$CLINE_DIR/data`, else `~/.cline/data`, holding
 *   `sessions/<id>/<id>.messages.json` (`$CLINE_SESSION_DATA_DIR` replaces the sessions folder).
 */
import * as path from 'node:path';
import { globalStorageDirs, type EditorStorageOptions } from '../editor-storage';
import { envOf, homeOf, resolveRoots } from '../roots';

export const clineExtensionId = 'saoudrizwan.claude-dev';

export function clineRoots(options: EditorStorageOptions = {}): string[] {
  const env = envOf(options);
  const data = env.CLINE_DATA_DIR?.trim() || (env.CLINE_DIR?.trim() ? path.join(env.CLINE_DIR.trim(), 'data') : path.join(homeOf(options), '.cline', 'data'));
  const sessions = env.CLINE_SESSION_DATA_DIR?.trim() || path.join(data, 'sessions');
  return resolveRoots(options, [...globalStorageDirs(options).map((d) => path.join(d, clineExtensionId)), sessions]);
}
