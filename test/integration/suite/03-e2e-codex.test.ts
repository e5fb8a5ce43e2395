/**
 * End to end: the real Codex CLI (0.169.0) against the fake OpenAI server of
 * ../shared/agent-lab/other-agents, in this workspace; the status bar follows the live session
 * (a first run and a resume appending to the same rollout).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatCost } from '../../../src/core/format';
import type { TaximeterApi } from '../../../src/extension';
import { referenceCodexTotals } from '../../agent-references';
import { listJsonl } from '../../helpers';
import { codexBin, runAgentCli, startOtherAgentsFake, type FakeServer } from '../lab';

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext);
  return ext.isActive ? ext.exports : await ext.activate();
}

describe('End to end with the real Codex CLI', function () {
  this.timeout(240_000);
  let server: FakeServer | undefined;
  const scratch = process.env.TAXIMETER_IT_SCRATCH ?? '';
  const workspace = process.env.TAXIMETER_IT_WORKSPACE ?? '';
  const codexHome = process.env.CODEX_HOME ?? '';
  const home = path.join(scratch, 'codex-user-home');

  before(async function () {
    if (!codexBin()) this.skip(); // reported as pending, never as passed
    assert.ok(codexHome.startsWith(scratch), 'CODEX_HOME points into the scratch folder');
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(codexHome, { recursive: true });
    server = await startOtherAgentsFake('fake-openai.mjs', scratch);
    fs.writeFileSync(
      path.join(codexHome, 'config.toml'),
      [
        'model = "gpt-5.1-codex"',
        'model_provider = "fake"',
        'approval_policy = "never"',
        'sandbox_mode = "danger-full-access"',
        '',
        '[model_providers.fake]',
        'name = "fake"',
        `base_url = "http://127.0.0.1:${server.port}/v1"`,
        'env_key = "OPENAI_API_KEY"',
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
  });

  after(() => server?.stop());

  it('follows a live session: each run shows up in the status bar with exactly the rollout’s tokens', async () => {
    const a = await api();
    const bin = codexBin();
    assert.ok(bin && server);
    const env = { HOME: home, CODEX_HOME: codexHome, OPENAI_API_KEY: 'dummy-key-for-lab' };
    let sessionId: string | undefined;
    const latencies: number[] = [];
    for (const [label, prompt] of [
      ['first run', 'list files for me'],
      ['resumed', 'now show me the date'],
    ] as const) {
      const args = sessionId ? ['exec', '--skip-git-repo-check', 'resume', sessionId, prompt] : ['exec', '--skip-git-repo-check', prompt];
      const r = await runAgentCli(bin, args, { cwd: workspace, env });
      assert.equal(r.code, 0, `${label}: codex exited ${r.code}: ${r.stderr.slice(-800)}`);
      const [rollout] = listJsonl(path.join(codexHome, 'sessions'));
      assert.ok(rollout, `${label}: a rollout was written`);
      sessionId ??= /([0-9a-f-]{36})\.jsonl$/.exec(rollout)?.[1];
      assert.ok(sessionId);
      const ref = referenceCodexTotals(codexHome).get(sessionId);
      assert.ok(ref, `${label}: the rollout holds usage`);
      const status = await a.waitForStatus(
        (s) => s.summary.current?.agent === 'codex' && s.summary.current.id === sessionId && s.summary.current.tokens.cacheRead === ref.cacheRead && s.summary.current.tokens.output === ref.output,
        20_000,
      );
      // From the rollout's last write to the status that showed it (both clocks of this machine).
      latencies.push(Math.round(status.summary.generatedAt - fs.statSync(rollout).mtimeMs));
      const cur = status.summary.current;
      assert.ok(cur);
      assert.deepEqual(
        { input: cur.tokens.input, output: cur.tokens.output, cacheWrite: cur.tokens.cacheWrite5m + cur.tokens.cacheWrite1h, cacheRead: cur.tokens.cacheRead },
        ref,
        label,
      );
      assert.equal(cur.project, workspace);
      assert.ok(cur.costUSD > 0 && !cur.lowerBound, `${label}: gpt-5.1-codex is priced`);
      assert.ok(a.statusText().includes(formatCost(cur.costUSD)), `${label}: ${a.statusText()}`);
      assert.ok(a.statusTooltip().includes('Codex CLI'), 'the tooltip names the agent');
    }
    console.log(`      codex e2e: status showed each run ${latencies.join(' ms, ')} ms after the rollout's last write`);
  });
});
