/**
 * Budget alerts: one notification per crossing of 100% of a budget (per task, day or month), not
 * one per update; remembered in the workspace state so a reload does not repeat it.
 */
import * as vscode from 'vscode';
import type { BudgetState } from '../core/status';
import { formatCost } from '../core/format';
import { CommandId } from './commands';

const key = 'taximeter.budgetAlertsShown';

export class BudgetAlerts {
  constructor(private readonly memento: vscode.Memento) {}

  check(budgets: readonly BudgetState[]): void {
    const shown = new Set(this.memento.get<string[]>(key, []));
    let changed = false;
    for (const b of budgets) {
      if (b.level !== 'exceeded') continue;
      const id = `${b.kind}:${b.period}`;
      if (shown.has(id)) continue;
      shown.add(id);
      changed = true;
      const what = b.kind === 'task' ? 'task' : b.kind === 'day' ? 'daily' : 'monthly';
      void vscode.window
        .showErrorMessage(`Taximeter: the ${what} budget of ${formatCost(b.limitUSD)} is used up (${formatCost(b.spentUSD)}, ${b.basis === 'api' ? 'API-equivalent' : 'session-hour'} basis).`, 'Open Cost Panel')
        .then((a) => (a ? vscode.commands.executeCommand(CommandId.openPanel) : undefined));
    }
    if (changed) void this.memento.update(key, [...shown].slice(-200));
  }
}
