/**
 * The status bar's text and tooltip, as a pure function of the worker's status message
 * (no 'vscode' import, so it is unit-tested on plain Node).
 */
import * as path from 'node:path';
import { formatCost, formatDuration, formatTokens } from '../core/format';
import { agentLabels } from '../core/usage';
import type { FromWorker } from '../engine/worker-protocol';

type StatusMessage = Extract<FromWorker, { type: 'status' }>;

export interface RenderedStatus {
  text: string;
  tooltip: string;
  warning: boolean;
  /** A budget at 100% (error state) or 80% (warning state). */
  budget: 'ok' | 'warning' | 'exceeded';
  accessibility: string;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function renderStatus(msg: StatusMessage | undefined, failure?: string): RenderedStatus {
  if (!msg) {
    return {
      text: failure ? '$(warning) Taximeter' : '$(loading~spin) Taximeter',
      tooltip: failure ? `Taximeter: ${escapeMd(failure)}` : 'Taximeter is starting…',
      warning: Boolean(failure),
      budget: 'ok',
      accessibility: 'Taximeter starting',
    };
  }
  const { summary, scan, health } = msg;
  const cur = summary.current;
  const lines: string[] = [];
  let text: string;
  // With more than one agent in use, the text names the one it shows.
  const several = summary.today.byAgent.length > 1;
  const both = summary.combined;
  if (both) {
    text = `$(pulse) ${formatCost(both.costUSD, both.lowerBound)} · ${formatDuration(both.busyMs)} · ${formatTokens(both.totalTokens)}`;
    lines.push(`**${both.sessions} sessions working** — ${escapeMd(both.agents.map((a) => agentLabels[a]).join(', '))}, added up`, '');
  }
  if (cur) {
    const icon = summary.live ? '$(pulse)' : '$(dashboard)';
    text ??= `${icon} ${several ? `${agentLabels[cur.agent]} ` : ''}${formatCost(cur.costUSD, cur.lowerBound)} · ${formatDuration(cur.busyMs)} · ${formatTokens(cur.totalTokens)}`;
    const proj = cur.project ? path.basename(cur.project) : '(unknown project)';
    lines.push(`**${escapeMd(agentLabels[cur.agent])} · ${escapeMd(proj)}** — session \`${cur.id.slice(0, 8)}\`${summary.live ? ' (live)' : ''}`, '');
    lines.push('| | |', '|---|--:|');
    lines.push(`| API-equivalent cost | ${escapeMd(formatCost(cur.costUSD, cur.lowerBound))} |`);
    lines.push(`| busy / active / wall | ${formatDuration(cur.busyMs)} / ${formatDuration(cur.activeMs)} / ${formatDuration(cur.wallMs)} |`);
    lines.push(`| input (uncached) | ${formatTokens(cur.tokens.input)} |`);
    lines.push(`| output | ${formatTokens(cur.tokens.output)} |`);
    lines.push(`| cache write 5m / 1h | ${formatTokens(cur.tokens.cacheWrite5m)} / ${formatTokens(cur.tokens.cacheWrite1h)} |`);
    lines.push(`| cache read | ${formatTokens(cur.tokens.cacheRead)} |`);
    lines.push('');
    lines.push('| model | tokens | cost |', '|---|--:|--:|');
    for (const m of cur.byModel) {
      const cost = m.usd === null ? 'unpriced' : `${formatCost(m.usd)}${m.provenance === 'client-reported' ? ' (client-reported)' : ''}`;
      lines.push(`| ${escapeMd(m.model)} | ${formatTokens(m.tokens)} | ${escapeMd(cost)} |`);
    }
    lines.push('');
    if (cur.unpricedModels.length > 0)
      lines.push(`$(warning) Unpriced: ${escapeMd(cur.unpricedModels.join(', '))} — the cost is a lower bound. Add prices in \`taximeter.prices\`.`, '');
    if (cur.auxiliaryUSD > 0) lines.push(`Includes ${escapeMd(formatCost(cur.auxiliaryUSD))} of calls only the agent's own totals show (compactions, …).`, '');
    const dw = cur.deadWeight;
    lines.push(
      `**Dead weight** ${escapeMd(`${formatCost(dw.costUSD)} (${(dw.share * 100).toFixed(0)}%) · ${dw.compactions} compaction${dw.compactions === 1 ? '' : 's'}`)}${dw.estimated ? ' _(partly estimated)_' : ''}`,
      '',
    );
  } else {
    text ??= `$(dashboard) ${formatCost(summary.today.costUSD, summary.today.lowerBound)} today`;
    lines.push('No agent session found yet.', '');
  }
  if (summary.task) {
    const t = summary.task;
    lines.push(`**Task:** ${escapeMd(t.label)}${t.ref ? ` (${escapeMd(t.ref)})` : ''} — ${escapeMd(formatCost(t.costUSD, t.lowerBound))}, busy ${formatDuration(t.busyMs)}, since ${escapeMd(new Date(t.start).toLocaleTimeString())}`, '');
  }
  for (const b of summary.budgets) {
    const icon = b.level === 'exceeded' ? '$(error)' : b.level === 'warning' ? '$(warning)' : '$(pass)';
    lines.push(`${icon} ${b.kind} budget: ${escapeMd(formatCost(b.spentUSD))} of ${escapeMd(formatCost(b.limitUSD))} (${(b.ratio * 100).toFixed(0)}%, ${b.basis === 'api' ? 'API-equivalent' : 'session-hour'})`, '');
  }
  const cw = summary.clientWindow;
  if (cw) {
    const part = (label: string, w: { usedPercent: number; resetsAt?: number } | undefined): string | undefined =>
      w ? `${label} ${w.usedPercent.toFixed(0)}% used${w.resetsAt !== undefined ? `, resets ${new Date(w.resetsAt).toLocaleString()}` : ''}` : undefined;
    const parts = [part('5-hour', cw.fiveHour), part('7-day', cw.sevenDay)].filter((x): x is string => x !== undefined);
    lines.push(`**Subscription window** (client-reported by ${escapeMd(agentLabels[cw.agent])}): ${escapeMd(parts.join(' · '))}`, '');
  }
  lines.push(`**Today:** ${escapeMd(formatCost(summary.today.costUSD, summary.today.lowerBound))} · ${formatTokens(summary.today.tokens)} tokens · ${summary.today.sessions} session(s)`, '');
  if (several) {
    lines.push('| agent | today | tokens |', '|---|--:|--:|');
    for (const a of summary.today.byAgent) lines.push(`| ${escapeMd(agentLabels[a.agent])} | ${escapeMd(formatCost(a.costUSD, a.lowerBound))} | ${formatTokens(a.tokens)} |`);
    lines.push('');
  }
  lines.push(
    `_Tokens and times are measured from the agents' transcripts; costs are computed with ${escapeMd(summary.priceTable)}` +
      `${cur && cur.clientReportedUSD > 0 ? ', or client-reported where the table has no price' : ''}._`,
  );
  if (scan.phase === 'cold' || scan.phase === 'warm') {
    const p = scan.progress;
    lines.push('', `$(sync~spin) Reading history${p ? ` (${p.filesDone}/${p.filesTotal} files)` : ''}…`);
  }
  const warning = !health.ok || Boolean(failure);
  if (warning) lines.push('', `$(warning) ${escapeMd(failure ?? `${health.unreadableFiles} file(s) could not be read`)}${health.lastProblem ? ` — ${escapeMd(health.lastProblem)}` : ''}. See the Taximeter log.`);
  if (health.malformed + health.rejected > 0) lines.push('', `${health.malformed + health.rejected} unreadable line(s) skipped and counted.`);
  lines.push('', 'Click to open the cost panel.');
  const accessibility = cur
    ? `Taximeter: current session ${formatCost(cur.costUSD, cur.lowerBound)}, busy ${formatDuration(cur.busyMs)}, ${formatTokens(cur.totalTokens)} tokens`
    : `Taximeter: ${formatCost(summary.today.costUSD)} today`;
  const budget = summary.budgets.some((b) => b.level === 'exceeded') ? 'exceeded' : summary.budgets.some((b) => b.level === 'warning') ? 'warning' : 'ok';
  if (summary.task) {
    const label = summary.task.label.length > 20 ? `${summary.task.label.slice(0, 19)}…` : summary.task.label;
    text = `$(tasklist) ${label} ${formatCost(summary.task.costUSD, summary.task.lowerBound)} · ${text}`;
  }
  return { text: warning ? `$(warning) ${text.replace(/^\$\([^)]+\) /, '')}` : text, tooltip: lines.join('\n'), warning, budget, accessibility };
}
