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
  // Every agent's folders point into the scratch folder: the machine's own history is never read.
  // They exist before the extension starts, so they are watched from the first scan.
  const agentHomes = {
    CODEX_HOME: path.join(scratch, 'codex-home'),
    GEMINI_CLI_HOME: path.join(scratch, 'gemini-cli-home'),
    XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
    CLINE_DIR: path.join(scratch, 'cline'),
  };
  for (const dir of Object.values(agentHomes)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(agentHomes.GEMINI_CLI_HOME, '.gemini'), { recursive: true });
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
        TAXIMETER_CODEX_BIN: process.env.TAXIMETER_CODEX_BIN ?? '',
        TAXIMETER_GEMINI_BIN: process.env.TAXIMETER_GEMINI_BIN ?? '',
        ...agentHomes,
        TAXIMETER_SHARED_DIR: process.env.TAXIMETER_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared'),
      },
    });
  } catch (error: unknown) {
    console.error(`integration tests failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

void main();
