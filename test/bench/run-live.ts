/**
 * Live figures in the real VS Code host (part of `npm run bench`, not of the tests): activation
 * time, event-loop blocking of the extension host during a cold scan, and append → status bar
 * latency, with the large history and with an almost empty one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { claudeFixture, repoRoot, tempDir } from '../helpers';

async function one(label: string, claudeDir: string, appendTo: string, added?: string): Promise<void> {
  const out = tempDir('taximeter-bench-live-');
  const hostDir = process.env.VSCODE_HOST_DIR ?? path.join(process.env.TAXIMETER_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared'), 'vscode-host');
  await runTests({
    vscodeExecutablePath: path.join(hostDir, 'run-tests.sh'),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'out', 'test', 'bench', 'suite', 'index'),
    launchArgs: [tempDir('taximeter-bench-ws-'), '--timeout=900'],
    extensionTestsEnv: {
      CLAUDE_CONFIG_DIR: claudeDir,
      TAXIMETER_BENCH_OUT: out,
      TAXIMETER_BENCH_APPEND: appendTo,
      TAXIMETER_DATA_DIR: tempDir(),
      TAXIMETER_BENCH_MODE: added ? 'added' : 'startup',
      TAXIMETER_BENCH_ADD: added ?? '',
    },
  });
  const r = JSON.parse(fs.readFileSync(path.join(out, 'live.json'), 'utf8')) as Record<string, number>;
  console.log(
    `  ${label.padEnd(22)} activation ${r.activationMs?.toFixed(1)} ms${r.activationCpuMs !== undefined ? ` (CPU ${r.activationCpuMs.toFixed(1)} ms)` : ''}${r.codeLoadMs !== undefined ? ` + loading the code ${r.codeLoadMs.toFixed(1)} ms${r.codeLoadCpuMs !== undefined ? ` (CPU ${r.codeLoadCpuMs.toFixed(1)} ms)` : ''}` : ''}; ${added ? 'cold scan of the added folder' : 'first scan'} ${((r.scanMs ?? 0) / 1000).toFixed(1)} s, longest event-loop block of the extension host during it ${r.maxBlockMs?.toFixed(1)} ms (p99 ${r.p99BlockMs?.toFixed(1)} ms, ${r.blocksOver50} blocks over 50 ms; Taximeter's own longest handler ${r.handlerMs?.toFixed(1)} ms${r.handlerCpuMs !== undefined ? `, CPU ${r.handlerCpuMs.toFixed(1)} ms` : ''}); append → status bar p50 ${r.p50?.toFixed(0)} ms, p95 ${r.p95?.toFixed(0)} ms (n=${r.n})`,
  );
}

async function main(): Promise<void> {
  const history = process.env.TAXIMETER_BENCH_HISTORY;
  if (!history) throw new Error('TAXIMETER_BENCH_HISTORY is not set');
  const bigDir = path.join(history, 'projects', '-home-user-big-project-0');
  const big = path.join(bigDir, fs.readdirSync(bigDir).find((f) => f.endsWith('.jsonl')) ?? '');
  await one('1 GB history', history, big);
  // The same history added to a host that has finished starting: the cold scan's own effect.
  await one('1 GB folder added', tempDir('taximeter-bench-none-'), big, history);
  const empty = tempDir('taximeter-bench-empty-');
  fs.cpSync(claudeFixture('errors'), empty, { recursive: true });
  await one('almost empty history', empty, path.join(empty, 'projects', '-home-user-proj', '1ee66272-a6e0-48b5-b023-528267435be6.jsonl'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
