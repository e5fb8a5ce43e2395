/**
 * Runs the integration suite in a real VS Code extension host through @vscode/test-electron.
 * Offline machines use ../shared/vscode-host/run-tests.sh (a real VS Code server + headless
 * Chromium) as the executable; set VSCODE_HOST_DIR to point elsewhere, or leave it absent and
 * test-electron downloads VS Code as usual.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot, tempDir } from '../helpers';

async function main(): Promise<void> {
  const hostDir = process.env.VSCODE_HOST_DIR ?? path.resolve(repoRoot, '..', 'shared', 'vscode-host');
  const hostScript = path.join(hostDir, 'run-tests.sh');
  const workspace = tempDir('taximeter-ws-');
  const scratch = tempDir('taximeter-it-');
  fs.writeFileSync(path.join(workspace, 'README.md'), 'integration workspace\n');
  try {
    await runTests({
      ...(fs.existsSync(hostScript) ? { vscodeExecutablePath: hostScript } : {}),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'integration', 'suite', 'index'),
      launchArgs: [workspace, '--disable-extensions'],
      extensionTestsEnv: {
        TAXIMETER_IT_SCRATCH: scratch,
        // The history the extension reads: a scratch copy the tests fill and append to.
        CLAUDE_CONFIG_DIR: path.join(scratch, 'claude'),
        TAXIMETER_IT_WORKSPACE: workspace,
        // Tasks are shared with the CLI through this folder; keep the tests' own.
        TAXIMETER_DATA_DIR: path.join(scratch, 'data'),
        TAXIMETER_TEST_RESULTS: process.env.TAXIMETER_TEST_RESULTS ?? '',
        TAXIMETER_CLAUDE_BIN: process.env.TAXIMETER_CLAUDE_BIN ?? '',
        TAXIMETER_SHARED_DIR: process.env.TAXIMETER_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared'),
      },
    });
  } catch (error: unknown) {
    console.error(`integration tests failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
