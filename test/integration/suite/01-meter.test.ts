/**
 * The meter in a real VS Code extension host: activation, the status bar on a fixture history,
 * and a live update when a line is appended to a transcript.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TaximeterApi } from '../../../src/extension';
import { formatCost, formatTokens } from '../../../src/core/format';
import { claudeFixture, lastCostStates, referenceClaudeTotals } from '../../helpers';

const sessionId = '1fadfc77-936f-4016-8c24-3f754c1f34ce';

function claudeDir(): string {
  const dir = process.env.CLAUDE_CONFIG_DIR;
  assert.ok(dir, 'CLAUDE_CONFIG_DIR is set by the runner');
  return dir;
}

function transcript(): string {
  return path.join(claudeDir(), 'projects', '-home-user-proj', `${sessionId}.jsonl`);
}

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext, 'extension is installed');
  return ext.isActive ? ext.exports : await ext.activate();
}

describe('Taximeter in the VS Code extension host', () => {
  before(() => {
    // The fixture history is copied before activation is awaited: the extension starts on
    // onStartupFinished, and a folder that appears later is found by discovery.
    fs.cpSync(claudeFixture('compact_manual'), claudeDir(), { recursive: true });
  });

  it('activates and registers its commands', async () => {
    const a = await api();
    assert.ok(a.engine);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['taximeter.showSessions', 'taximeter.refresh', 'taximeter.showLog']) assert.ok(commands.includes(id), id);
  });

  it('shows the current session of a fixture history in the status bar', async () => {
    const a = await api();
    await a.engine.refresh();
    const cs = lastCostStates(claudeDir()).get(sessionId);
    const ref = referenceClaudeTotals(claudeDir()).get(sessionId);
    assert.ok(cs && ref);
    const total = ref.input + ref.output + ref.cacheWrite + ref.cacheRead;
    const expected = `${formatCost(cs.totalCostUSD)} · `;
    const status = await a.waitForStatus((s) => s.summary.current?.id === sessionId && s.scan.phase === 'live', 30_000);
    assert.ok(Math.abs((status.summary.current?.costUSD ?? 0) - cs.totalCostUSD) < 1e-9);
    assert.ok(a.statusText().includes(expected), `status "${a.statusText()}" shows ${expected}`);
    assert.ok(a.statusText().endsWith(formatTokens(total)), `status "${a.statusText()}" ends with ${formatTokens(total)}`);
    const tip = a.statusTooltip();
    assert.ok(tip.includes('claude\\-sonnet\\-4\\-5'), 'tooltip lists the model');
    assert.ok(tip.includes('Today'), 'tooltip has today');
  });

  it('updates the status bar within a second or two when a line is appended', async () => {
    const a = await api();
    const before = a.lastStatus()?.summary.current;
    assert.ok(before);
    const line = JSON.stringify({
      parentUuid: null,
      isSidechain: false,
      type: 'assistant',
      uuid: 'it-appended-line-0001',
      timestamp: new Date().toISOString(),
      sessionId,
      cwd: '/home/user/proj',
      message: {
        id: 'msg_it_appended_0001',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'appended by the integration test' }],
        usage: { input_tokens: 1000, output_tokens: 500_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    const t0 = Date.now();
    fs.appendFileSync(transcript(), `${line}\n`);
    const after = await a.waitForStatus((s) => (s.summary.current?.tokens.output ?? 0) === before.tokens.output + 500_000, 10_000);
    const latency = Date.now() - t0;
    // 1000 × $3 + 500000 × $15 per MTok
    const expectedCost = before.costUSD + (1000 * 3 + 500_000 * 15) / 1e6;
    assert.ok(Math.abs((after.summary.current?.costUSD ?? 0) - expectedCost) < 1e-9);
    assert.ok(a.statusText().includes(formatCost(expectedCost)), a.statusText());
    assert.ok(latency < 3000, `took ${latency} ms`);
    console.log(`    live update latency: ${latency} ms`);
  });
});
