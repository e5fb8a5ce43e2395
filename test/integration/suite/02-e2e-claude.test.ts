/**
 * End to end: the real Claude Code client (2.1.330) against the fake model server, in this
 * workspace; the status bar follows the live session run after run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TaximeterApi } from '../../../src/extension';
import { formatCost } from '../../../src/core/format';
import { lastCostStates, referenceClaudeTotals } from '../../helpers';
import { claudeBin, runClaude, startFakeAnthropic, type FakeServer } from '../lab';

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext);
  return ext.isActive ? ext.exports : await ext.activate();
}

describe('End to end with the real Claude Code client', function () {
  this.timeout(180_000);
  let server: FakeServer | undefined;
  const scratch = process.env.TAXIMETER_IT_SCRATCH ?? '';
  const workspace = process.env.TAXIMETER_IT_WORKSPACE ?? '';
  const configDir = process.env.CLAUDE_CONFIG_DIR ?? '';
  const home = path.join(scratch, 'cc-home');
  let liveSession: string | undefined;

  before(async function () {
    if (!claudeBin()) this.skip(); // reported as pending, never as passed
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(workspace, 'notes.txt'), 'line one\nline two\nline three\n');
    server = await startFakeAnthropic(scratch);
  });

  after(() => server?.stop());

  it('follows a live session: each run shows up in the status bar with the client’s own totals', async () => {
    const a = await api();
    const bin = claudeBin();
    assert.ok(bin && server);
    const opts = { cwd: workspace, configDir, home, port: server.port };
    const runs: [string[], string][] = [
      [['-p', 'Please work on notes.txt [[script:tools]]', '--output-format', 'json'], 'tool loop'],
      [['--continue', '-p', 'Thanks [[script:chat]]', '--output-format', 'json'], 'continued'],
    ];
    let sessionId: string | undefined;
    for (const [args, label] of runs) {
      const r = await runClaude(bin, args, opts);
      assert.equal(r.code, 0, `${label}: claude exited ${r.code}: ${r.stderr.slice(0, 500)}`);
      sessionId ??= r.result?.session_id;
      assert.ok(sessionId, 'the client named its session');
      const ref = referenceClaudeTotals(configDir).get(sessionId);
      const cs = lastCostStates(configDir).get(sessionId);
      assert.ok(ref && cs, `${label}: transcript written`);
      const status = await a.waitForStatus(
        (s) => s.summary.current?.id === sessionId && s.summary.current?.tokens.output === ref.output && s.summary.current?.tokens.cacheRead === ref.cacheRead,
        10_000,
      );
      const cur = status.summary.current;
      assert.ok(cur);
      assert.equal(cur.tokens.input, ref.input, label);
      assert.equal(cur.tokens.cacheWrite5m + cur.tokens.cacheWrite1h, ref.cacheWrite, label);
      // The client's own session total (its list prices) equals ours for this model.
      assert.ok(Math.abs(cur.costUSD - cs.totalCostUSD) < 1e-9, `${label}: ${cur.costUSD} vs ${cs.totalCostUSD}`);
      assert.ok(a.statusText().includes(formatCost(cs.totalCostUSD)), `${label}: ${a.statusText()}`);
      assert.equal(r.result?.total_cost_usd !== undefined ? Math.abs(r.result.total_cost_usd - cs.totalCostUSD) < 1e-9 : true, true);
    }
    liveSession = sessionId;
  });

  it('shows a real /compact as a dead-weight event in the panel, priced from the client’s own totals', async () => {
    const a = await api();
    const bin = claudeBin();
    assert.ok(bin && server && liveSession);
    await vscode.commands.executeCommand('taximeter.openPanel', { scope: { kind: 'current' } });
    const panel = a.panel();
    assert.ok(panel);
    const before = lastCostStates(configDir).get(liveSession)?.totalCostUSD ?? 0;
    const r = await runClaude(bin, ['--continue', '-p', '/compact', '--output-format', 'json'], { cwd: workspace, configDir, home, port: server.port });
    assert.equal(r.code, 0, r.stderr.slice(0, 500));
    const after = lastCostStates(configDir).get(liveSession)?.totalCostUSD ?? 0;
    assert.ok(after > before, 'the client recorded the summary call');
    // The boundary line can be read (and shown, estimated) before the client's closing cost-state;
    // wait for the render that has both: the compaction measured from the client's own totals.
    const measured = (x: { kind: string; estimated: boolean }): boolean => x.kind.endsWith('compaction') && !x.estimated;
    const state = await panel.waitForRender((st) => st.deadWeight.events.some(measured), 20_000);
    const e = state.deadWeight.events.find(measured);
    assert.ok(e);
    assert.equal(e.trigger, 'manual');
    assert.ok(Math.abs((e.costUSD ?? 0) - (after - before)) < 1e-9, `${e.costUSD} vs ${after - before}`);
    assert.ok(a.statusTooltip().includes('Dead weight'), 'the tooltip shows dead weight');
  });
});
