/**
 * What the status bar shows: the current session (the most recently active one, preferring the
 * workspace's folders) and today's total. Small, plain data, so it crosses the worker boundary.
 */
import { groupRollups, matchesProject, sessionViews, totalRollup } from './aggregate';
import { latestClientWindow, type ClientWindow } from './client-window';
import { runtimeCost } from './compare';
import { deadWeightOf } from './dead-weight';
import type { TaskRecord } from './tasks';
import type { Calendar } from './calendar';
import type { Meter, SessionState } from './meter';
import { priceTableLabel } from './pricing';
import { viewSession } from './session-view';
import type { AgentId, TokenCounts } from './usage';

export interface StatusModelLine {
  model: string;
  tokens: number;
  usd: number | null;
  provenance: string;
}

export interface StatusSession {
  agent: AgentId;
  id: string;
  project?: string;
  costUSD: number;
  lowerBound: boolean;
  clientReportedUSD: number;
  auxiliaryUSD: number;
  busyMs: number;
  activeMs: number;
  wallMs: number;
  tokens: TokenCounts;
  totalTokens: number;
  byModel: StatusModelLine[];
  unpricedModels: string[];
  lastTs: number;
  compactions: number;
  deadWeight: { costUSD: number; share: number; compactions: number; estimated: boolean; events: number };
}

export interface BudgetState {
  kind: 'task' | 'day' | 'month';
  /** The period the budget is for: task id, day key or month key (a new period re-arms alerts). */
  period: string;
  limitUSD: number;
  spentUSD: number;
  ratio: number;
  level: 'ok' | 'warning' | 'exceeded';
  basis: 'api' | 'sessionHour';
}

export interface StatusTask {
  id: string;
  label: string;
  ref?: string;
  costUSD: number;
  lowerBound: boolean;
  busyMs: number;
  start: number;
}

/** Every session working right now, added up (setting `taximeter.statusBar.agents: sum`). */
export interface StatusCombined {
  agents: AgentId[];
  sessions: number;
  costUSD: number;
  lowerBound: boolean;
  busyMs: number;
  totalTokens: number;
}

export interface StatusAgentToday {
  agent: AgentId;
  costUSD: number;
  lowerBound: boolean;
  tokens: number;
  sessions: number;
}

export type StatusAgentsMode = 'current' | 'sum';

export interface StatusSummary {
  current?: StatusSession;
  /** Set in `sum` mode when more than one session is working. */
  combined?: StatusCombined;
  task?: StatusTask;
  budgets: BudgetState[];
  today: { costUSD: number; lowerBound: boolean; tokens: number; sessions: number; byAgent: StatusAgentToday[] };
  /** Whether the current session wrote within the idle threshold. */
  live: boolean;
  priceTable: string;
  generatedAt: number;
  /** The subscription window as the client reports it (Connect: Claude Code's status line). */
  clientWindow?: ClientWindow;
}

export interface StatusOptions {
  now: number;
  idleMs: number;
  calendar: Calendar;
  workspaceFolders: readonly string[];
  agents?: readonly AgentId[];
  /** `current`: the session working most recently; `sum`: every session working now, added up. */
  agentsMode?: StatusAgentsMode;
  prematureShare?: number;
  /** The task running in this workspace, if any. */
  task?: TaskRecord;
  budgets?: BudgetSettings;
  sessionHourRate?: number;
}

export interface BudgetSettings {
  taskUSD: number;
  dayUSD: number;
  monthUSD: number;
  basis: 'api' | 'sessionHour';
}

function levelOf(ratio: number): BudgetState['level'] {
  return ratio >= 1 ? 'exceeded' : ratio >= 0.8 ? 'warning' : 'ok';
}

function pickCurrent(meter: Meter, options: StatusOptions): SessionState | undefined {
  let best: SessionState | undefined;
  let bestInWorkspace: SessionState | undefined;
  for (const s of meter.sessions.values()) {
    if (options.agents && !options.agents.includes(s.agent)) continue;
    if (s.requestCount === 0) continue;
    if (!best || s.lastTs > best.lastTs) best = s;
    if (options.workspaceFolders.length > 0 && matchesProject(s.project, options.workspaceFolders)) {
      if (!bestInWorkspace || s.lastTs > bestInWorkspace.lastTs) bestInWorkspace = s;
    }
  }
  return bestInWorkspace ?? best;
}

export function statusSummary(meter: Meter, options: StatusOptions): StatusSummary {
  const todayRange = { from: options.calendar.startOfDay(options.now), to: Infinity };
  const views = sessionViews(meter, todayRange, { idleMs: options.idleMs, agents: options.agents });
  const today = totalRollup(meter, views, todayRange, options.idleMs);
  const s = pickCurrent(meter, options);
  let current: StatusSession | undefined;
  if (s) {
    const v = viewSession(s, meter.getPriceBook(), options.idleMs);
    const dw = deadWeightOf(meter, v, { prematureShare: options.prematureShare ?? 0.5 });
    current = {
      agent: v.agent,
      id: v.id,
      project: v.project,
      costUSD: v.cost.api,
      lowerBound: v.cost.lowerBound,
      clientReportedUSD: v.cost.clientReported,
      auxiliaryUSD: v.cost.auxiliary,
      busyMs: v.time.busyMs,
      activeMs: v.time.activeMs,
      wallMs: v.time.wallMs,
      tokens: v.tokens,
      totalTokens: v.tokens.input + v.tokens.output + v.tokens.cacheWrite5m + v.tokens.cacheWrite1h + v.tokens.cacheRead,
      byModel: v.byModel.map((m) => ({
        model: m.model,
        tokens: m.tokens.input + m.tokens.output + m.tokens.cacheWrite5m + m.tokens.cacheWrite1h + m.tokens.cacheRead,
        usd: m.usd,
        provenance: m.provenance,
      })),
      unpricedModels: v.unpriced.models,
      lastTs: v.end,
      compactions: v.compactions.length,
      deadWeight: { costUSD: dw.costUSD, share: dw.share, compactions: dw.compactions, estimated: dw.estimated, events: dw.events.length },
    };
  }
  let combined: StatusCombined | undefined;
  if (options.agentsMode === 'sum') {
    const live = [...meter.sessions.values()].filter(
      (x) => x.requestCount > 0 && options.now - x.lastTs <= options.idleMs && (!options.agents || options.agents.includes(x.agent)),
    );
    if (live.length > 1) {
      combined = { agents: [], sessions: live.length, costUSD: 0, lowerBound: false, busyMs: 0, totalTokens: 0 };
      for (const x of live) {
        const v = viewSession(x, meter.getPriceBook(), options.idleMs);
        if (!combined.agents.includes(v.agent)) combined.agents.push(v.agent);
        combined.costUSD += v.cost.api;
        combined.lowerBound ||= v.cost.lowerBound;
        combined.busyMs += v.time.busyMs;
        combined.totalTokens += v.tokens.input + v.tokens.output + v.tokens.cacheWrite5m + v.tokens.cacheWrite1h + v.tokens.cacheRead;
      }
    }
  }
  const byAgent = groupRollups(meter, views, todayRange, 'agent', options.calendar, options.idleMs).map((g) => ({
    agent: g.key as AgentId,
    costUSD: g.rollup.cost.api,
    lowerBound: g.rollup.cost.lowerBound,
    tokens: g.rollup.tokens.input + g.rollup.tokens.output + g.rollup.tokens.cacheWrite5m + g.rollup.tokens.cacheWrite1h + g.rollup.tokens.cacheRead,
    sessions: g.rollup.sessions,
  }));
  // The running task and the budgets.
  const rate = options.sessionHourRate ?? 0;
  let task: StatusTask | undefined;
  const budgets: BudgetState[] = [];
  const basisCost = (api: number, busyMs: number, basis: 'api' | 'sessionHour'): number => (basis === 'api' ? api : api + runtimeCost(busyMs, rate));
  if (options.task) {
    const t = options.task;
    const range = { from: t.start, to: t.end ?? Infinity };
    const tv = sessionViews(meter, range, { idleMs: options.idleMs, agents: options.agents, projectPrefixes: t.folders });
    const tr = totalRollup(meter, tv, range, options.idleMs);
    task = { id: t.id, label: t.label, ref: t.ref, costUSD: tr.cost.api, lowerBound: tr.cost.lowerBound, busyMs: tr.time.busyMs, start: t.start };
    const b = options.budgets;
    if (b && b.taskUSD > 0) {
      const spent = basisCost(tr.cost.api, tr.time.busyMs, b.basis);
      budgets.push({ kind: 'task', period: t.id, limitUSD: b.taskUSD, spentUSD: spent, ratio: spent / b.taskUSD, level: levelOf(spent / b.taskUSD), basis: b.basis });
    }
  }
  const b = options.budgets;
  if (b && b.dayUSD > 0) {
    const spent = basisCost(today.cost.api, today.time.busyMs, b.basis);
    budgets.push({ kind: 'day', period: options.calendar.dayKey(options.now), limitUSD: b.dayUSD, spentUSD: spent, ratio: spent / b.dayUSD, level: levelOf(spent / b.dayUSD), basis: b.basis });
  }
  if (b && b.monthUSD > 0) {
    const monthRange = { from: options.calendar.startOfMonth(options.now), to: Infinity };
    const mv = sessionViews(meter, monthRange, { idleMs: options.idleMs, agents: options.agents });
    const mr = totalRollup(meter, mv, monthRange, options.idleMs);
    const spent = basisCost(mr.cost.api, mr.time.busyMs, b.basis);
    budgets.push({ kind: 'month', period: options.calendar.monthKey(options.now), limitUSD: b.monthUSD, spentUSD: spent, ratio: spent / b.monthUSD, level: levelOf(spent / b.monthUSD), basis: b.basis });
  }
  return {
    current,
    combined,
    task,
    budgets,
    today: {
      byAgent,
      costUSD: today.cost.api,
      lowerBound: today.cost.lowerBound,
      tokens: today.tokens.input + today.tokens.output + today.tokens.cacheWrite5m + today.tokens.cacheWrite1h + today.tokens.cacheRead,
      sessions: today.sessions,
    },
    live: current !== undefined && options.now - current.lastTs <= options.idleMs,
    priceTable: priceTableLabel(),
    generatedAt: options.now,
    clientWindow: latestClientWindow(meter, options.now, options.agents),
  };
}
