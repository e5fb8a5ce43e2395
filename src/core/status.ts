/**
 * What the status bar shows: the current session (the most recently active one, preferring the
 * workspace's folders) and today's total. Small, plain data, so it crosses the worker boundary.
 */
import { matchesProject, sessionViews, totalRollup } from './aggregate';
import { deadWeightOf } from './dead-weight';
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

export interface StatusSummary {
  current?: StatusSession;
  today: { costUSD: number; lowerBound: boolean; tokens: number; sessions: number };
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
  prematureShare?: number;
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
  return {
    current,
    today: {
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
