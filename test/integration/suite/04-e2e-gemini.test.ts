/**
 * End to end: the real Gemini CLI (0.61.0) against the fake Gemini server of
 * ../shared/agent-lab/other-agents, in this workspace; the status bar follows the live session
 * (a first run and a `--resume latest` appending to the same chat).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatCost } from '../../../src/core/format';
import type { TaximeterApi } from '../../../src/extension';
import { referenceGeminiTotals } from '../../agent-references';
import { listJsonl } from '../../helpers';
import { geminiBin, runAgentCli, startOtherAgentsFake, type FakeServer } from '../lab';

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext);
  return ext.isActive ? ext.exports : await ext.activate();
}

describe('End to end with the real Gemini CLI', function () {
  this.timeout(240_000);
  let server: FakeServer | undefined;
  const scratch = process.env.TAXIMETER_IT_SCRATCH ?? '';
  const workspace = process.env.TAXIMETER_IT_WORKSPACE ?? '';
  // The CLI's home: `$GEMINI_CLI_HOME/.gemini` replaces `~/.gemini`.
  const cliHome = process.env.GEMINI_CLI_HOME ?? '';
  const geminiDir = path.join(cliHome, '.gemini');

  before(async function () {
    if (!geminiBin()) this.skip(); // reported as pending, never as passed
    assert.ok(cliHome.startsWith(scratch), 'GEMINI_CLI_HOME points into the scratch folder');
    fs.mkdirSync(geminiDir, { recursive: true });
    fs.writeFileSync(
      path.join(geminiDir, 'settings.json'),
      JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } }),
    );
    server = await startOtherAgentsFake('fake-gemini.mjs', scratch);
  });

  after(() => server?.stop());

  it('follows a live session: each run shows up in the status bar with exactly the chat’s tokens', async () => {
    const a = await api();
    const bin = geminiBin();
    assert.ok(bin && server);
    const env = {
      HOME: cliHome,
      GEMINI_CLI_HOME: cliHome,
      GEMINI_API_KEY: 'dummy-key-for-lab',
      GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${server.port}`,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    };
    const latencies: number[] = [];
    for (const [label, args] of [
      ['first run', ['--yolo', '-m', 'gemini-2.5-pro', '-p', 'list files for me']],
      ['resumed', ['--yolo', '-m', 'gemini-2.5-pro', '--resume', 'latest', '-p', 'now show me the date']],
    ] as const) {
      const r = await runAgentCli(bin, [...args], { cwd: workspace, env });
      assert.equal(r.code, 0, `${label}: gemini exited ${r.code}: ${r.stderr.slice(-800)}`);
      const refs = referenceGeminiTotals(geminiDir);
      assert.equal(refs.size, 1, `${label}: one session with usage`);
      const [sessionId, ref] = [...refs][0]!;
      const status = await a.waitForStatus(
        (s) => s.summary.current?.agent === 'gemini' && s.summary.current.id === sessionId && s.summary.current.tokens.cacheRead === ref.cacheRead && s.summary.current.tokens.output === ref.output,
        20_000,
      );
      // From the chat file's last write to the status that showed it (both clocks of this machine).
      const chats = listJsonl(path.join(geminiDir, 'tmp')).map((f) => fs.statSync(f).mtimeMs);
      latencies.push(Math.round(status.summary.generatedAt - Math.max(...chats)));
      const cur = status.summary.current;
      assert.ok(cur);
      assert.deepEqual({ input: cur.tokens.input, output: cur.tokens.output, cacheWrite: cur.tokens.cacheWrite5m + cur.tokens.cacheWrite1h, cacheRead: cur.tokens.cacheRead }, ref, label);
      assert.equal(cur.project, workspace, 'project root from projects.json');
      assert.ok(cur.costUSD > 0 && !cur.lowerBound, `${label}: gemini-2.5-pro is priced`);
      assert.ok(a.statusText().includes(formatCost(cur.costUSD)), `${label}: ${a.statusText()}`);
    }
    console.log(`      gemini e2e: status showed each run ${latencies.join(' ms, ')} ms after the chat's last write`);
  });
});
