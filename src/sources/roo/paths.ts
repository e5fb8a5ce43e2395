/**
 * Where Roo Code keeps its tasks: the editor's globalStorage `rooveterinaryinc.roo-cline/tasks/<id>/`
 * (VS Code, Insiders, VSCodium, Cursor, Windsurf; Linux, macOS, Windows)
 * (../shared/formats/other-agents.md §4). A custom `roo-cline.customStoragePath` is an extra root.
 */
import * as path from 'node:path';
import { globalStorageDirs, type EditorStorageOptions } from '../editor-storage';
import { resolveRoots } from '../roots';

export const rooExtensionId = 'rooveterinaryinc.roo-cline';

export function rooRoots(options: EditorStorageOptions = {}): string[] {
  return resolveRoots(options, globalStorageDirs(options).map((d) => path.join(d, rooExtensionId)));
}
