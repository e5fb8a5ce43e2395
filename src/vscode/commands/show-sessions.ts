/** "Taximeter: Show Recent Sessions" — a quick pick of recent sessions with their cost. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatCost, formatDuration, formatTokens } from '../../core/format';
import { agentLabels } from '../../core/usage';
import type { EngineClient } from '../engine-client';

export async function showSessions(engine: EngineClient): Promise<void> {
  const since = Date.now() - 30 * 86_400_000;
  const report = await engine.report({ since });
  const sessions = [...report.sessions].sort((a, b) => (b.end ?? '').localeCompare(a.end ?? '')).slice(0, 50);
  if (sessions.length === 0) {
    void vscode.window.showInformationMessage('Taximeter: no agent sessions in the last 30 days.');
    return;
  }
  const items = sessions.map((s) => ({
    label: `${formatCost(s.costUSD.api, s.costUSD.lowerBound)}  ${path.basename(s.project ?? '') || '(unknown project)'}`,
    description: `${agentLabels[s.agent]} · ${s.models.join(', ')}`,
    detail: `${(s.end ?? '').slice(0, 16).replace('T', ' ')} UTC · busy ${formatDuration(s.time.busySeconds * 1000)} · ${formatTokens(s.tokens.total)} tokens · ${s.requests} requests${
      s.unpriced.tokens > 0 ? ` · unpriced: ${s.unpriced.models.join(', ')}` : ''
    }`,
  }));
  await vscode.window.showQuickPick(items, { title: `Taximeter — recent sessions (total ${formatCost(report.totals.costUSD.api, report.totals.costUSD.lowerBound)})`, matchOnDescription: true, matchOnDetail: true });
}
