/**
 * What the status bar shows: the current session (the most recently active one, preferring the
 * workspace's folders) and today's total. Small, plain data, so it crosses the worker boundary.
 */
import { groupRollups, matchesProject, sessionViews, totalRollup } from './aggregate';
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
  today: { costUSD: number; lowerBound: boolean; tokens: number; sessions: number; byAgent: StatusAgentToday[] };
  /** Whether the current session wrote within the idle threshold. */
  live: boolean;
  priceTable: string;
  generatedAt: number;
}

export interface StatusOptions {
  now: number;
  idleMs: number;
  calendar: Calendar;
  workspaceFolders: readonly string[];
  agents?: readonly AgentId[];
  /** `current`: the session working most recently; `sum`: every session working now, added up. */
  agentsMode?: StatusAgentsMode;
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
  return {
    current,
    combined,
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
  };
}
