/**
 * The cost panel in the real VS Code host: opened by its command, fed by the meter, acknowledged
 * by the webview; scope switching and a live update when a transcript line is appended.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runtimeCost } from '../../../src/core/compare';
import type { TaximeterApi } from '../../../src/extension';
import { lastCostStates } from '../../helpers';

const sessionId = '1fadfc77-936f-4016-8c24-3f754c1f34ce';

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext);
  return ext.isActive ? ext.exports : await ext.activate();
}

describe('Cost panel in the VS Code host', function () {
  this.timeout(60_000);
  const configDir = process.env.CLAUDE_CONFIG_DIR ?? '';

  before(async () => {
    await vscode.workspace.getConfiguration('taximeter').update('plan', 'claude-max-5x', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('taximeter').update('plan', undefined, vscode.ConfigurationTarget.Global);
  });

  it('opens from its command and shows the three prices of the current session', async () => {
    const a = await api();
    await vscode.commands.executeCommand('taximeter.openPanel');
    const panel = a.panel();
    assert.ok(panel, 'panel open');
    const s = await panel.waitForRender((st) => st.scopeLabel.includes(sessionId.slice(0, 8)) && st.prices.subscription.planId === 'claude-max-5x');
    // The first test appended one line (1000 in, 500000 out on sonnet 4.5) after the client's last cost-state.
    const cs = lastCostStates(configDir).get(sessionId);
    assert.ok(cs);
    const appended = (1000 * 3 + 500_000 * 15) / 1e6;
    assert.ok(Math.abs(s.prices.api.usd - (cs.totalCostUSD + appended)) < 1e-9, `${s.prices.api.usd}`);
    assert.ok(Math.abs(s.prices.sessionHour.totalUSD - (s.prices.api.usd + runtimeCost(s.meter.busyMs, 0.08))) < 1e-12);
    assert.equal(s.prices.subscription.feeUSD, 100);
    assert.equal(s.prices.subscription.marginalUSD, 0);
    assert.ok(s.prices.cheapest !== null);
    assert.equal(panel.panel.webview.options.enableScripts, true);
    assert.deepEqual(
      panel.panel.webview.options.localResourceRoots?.map((u) => path.basename(u.fsPath)),
      ['webview', 'media'],
    );
  });

  it('switches scope and keeps one panel', async () => {
    const a = await api();
    await vscode.commands.executeCommand('taximeter.openPanel', { scope: { kind: 'month' } });
    const panel = a.panel();
    assert.ok(panel);
    const s = await panel.waitForRender((st) => st.scope.kind === 'month');
    assert.match(s.scopeLabel, /This month/);
    await vscode.commands.executeCommand('taximeter.openPanel', { scope: { kind: 'current' } });
    assert.equal(a.panel(), panel, 'the same panel is reused');
    await panel.waitForRender((st) => st.scope.kind === 'current');
  });

  it('updates live when a transcript line is appended', async () => {
    const a = await api();
    const panel = a.panel();
    assert.ok(panel);
    const before = await panel.waitForRender(() => true);
    const line = JSON.stringify({
      type: 'assistant',
      uuid: 'it-panel-line-0001',
      timestamp: new Date().toISOString(),
      sessionId,
      cwd: '/home/user/proj',
      message: { id: 'msg_it_panel_0001', model: 'claude-sonnet-4-5', usage: { input_tokens: 2000, output_tokens: 1000 } },
    });
    fs.appendFileSync(path.join(configDir, 'projects', '-home-user-proj', `${sessionId}.jsonl`), `${line}\n`);
    const after = await panel.waitForRender((st) => st.meter.requests === before.meter.requests + 1);
    assert.ok(Math.abs(after.prices.api.usd - (before.prices.api.usd + (2000 * 3 + 1000 * 15) / 1e6)) < 1e-9);
  });
});
