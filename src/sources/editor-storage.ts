/**
 * VS Code's per-extension storage folders (`<user data>/User/globalStorage/<extension id>`) for
 * the editors built on it, on Linux, macOS and Windows. Cline and Roo Code keep their tasks there.
 * No 'vscode' import: the paths are the editors' documented defaults; the running editor's own
 * folder comes in as an extra root from the extension.
 */
import * as path from 'node:path';
import { envOf, homeOf, type RootOptions } from './roots';

/** Product folder names of VS Code and its forks. */
export const editorProducts = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'] as const;

export interface EditorStorageOptions extends RootOptions {
  /** Extra `globalStorage` folders (the running editor's, from the extension). */
  globalStorageDirs?: readonly string[];
  platform?: NodeJS.Platform;
}

/** Every `globalStorage` folder an editor may use on this platform (they need not exist). */
export function globalStorageDirs(options: EditorStorageOptions = {}): string[] {
  const env = envOf(options);
  const home = homeOf(options);
  const platform = options.platform ?? process.platform;
  let userData: string;
  if (platform === 'win32') userData = env.APPDATA?.trim() || path.join(home, 'AppData', 'Roaming');
  else if (platform === 'darwin') userData = path.join(home, 'Library', 'Application Support');
  else userData = env.XDG_CONFIG_HOME?.trim() || path.join(home, '.config');
  const dirs = editorProducts.map((p) => path.join(userData, p, 'User', 'globalStorage'));
  // code-server and VS Code's own server keep the same layout under their data folders.
  if (platform !== 'win32') dirs.push(path.join(env.XDG_DATA_HOME?.trim() || path.join(home, '.local', 'share'), 'code-server', 'User', 'globalStorage'));
  return [...dirs, ...(options.globalStorageDirs ?? [])];
}
