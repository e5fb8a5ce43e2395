/**
 * The cost panel's state for one scope: the meter, the same work priced three ways, charts and
 * provenance. A complete snapshot (the panel keeps no other state), plain data.
 */
import { matchesProject, sessionViews, totalRollup, type Range } from './aggregate';
import type { Calendar } from './calendar';
import { deadWeightOf, sumDeadWeight } from './dead-weight';
import { toRow, type ExportRow } from './export';
import { groupThousands } from './format';
import { taskFigures, type TaskRecord } from './tasks';
import { latestClientWindow, projectedWindowEnd } from './client-window';
import { allocatedFee, breakEvenDay, cheapest, projectMonth, projectedExhaustion, reconstructWindows, runtimeCost, valueMultiple, type PriceScheme } from './compare';
import type { Meter } from './meter';
import { resolvePlan, type PlanSettings } from './plans';
import { priceTableLabel } from './pricing';
import { viewSession, type CostedItem, type SessionView } from './session-view';
import { agentLabels, zeroTokens, type AgentId, type TokenCounts } from './usage';

export type PanelScope = { kind: 'current' } | { kind: 'today' } | { kind: 'month' } | { kind: 'session'; key: string };

export interface PanelModelLine {
  model: string;
  tokens: TokenCounts;
  requests: number;
  usd: number | null;
  provenance: string;
  /** List prices, USD per million tokens (base tier), from the table or an override. */
  perMTok: { input: number; output: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number } | null;
  priceSource: string;
}

export interface PanelState {
  generatedAt: number;
  scope: PanelScope;
  scopeLabel: string;
  /** Sessions the user can pick (most recent first). */
  sessions: { key: string; label: string }[];
  empty: boolean;
  meter: {
    tokens: TokenCounts;
    requests: number;
    wallMs: number;
    activeMs: number;
    busyMs: number;
    idleMs: number;
    apiUSD: number;
    lowerBound: boolean;
    clientReportedUSD: number;
    auxiliaryUSD: number;
    burnUSDPerHour: number | null;
    tokensPerMinute: number | null;
    byModel: PanelModelLine[];
    unpriced: { tokens: number; models: string[] };
    agents: string[];
  };
  prices: {
    api: { usd: number; lowerBound: boolean; cachingSavedUSD: number; priceTable: string };
    subscription: {
      planId: string;
      planLabel: string;
      feeUSD: number;
      applies: boolean;
      marginalUSD: number;
      allocatedUSD: number;
      monthApiUSD: number;
      valueMultiple: number | null;
      breakEvenDay: string | null;
      window: {
        start: number;
        end: number;
        prompts: number;
        apiUSD: number;
        burnUSDPerHour: number | null;
        limitMessages: number | null;
        projectedExhaustion: number | null;
        source: string;
        /** The window as the client itself reports it (Connect: the status line's `rate_limits`). */
        clientReported?: { usedPercent: number; reportedAt: number; sevenDay: { usedPercent: number; resetsAt: number | null } | null };
      } | null;
    };
    sessionHour: { ratePerHour: number; busyHours: number; idleHours: number; runtimeUSD: number; tokenUSD: number; totalUSD: number; runtimeShare: number };
    cheapest: PriceScheme | null;
    reasoning: string;
    projection: { elapsedDays: number; daysInMonth: number; api: number; subscription: number | null; sessionHour: number; cheapest: PriceScheme | null };
  };
  deadWeight: {
    costUSD: number;
    share: number;
    seconds: number;
    compactions: number;
    estimated: boolean;
    events: { kind: string; trigger: string | null; at: number; tokens: number; costUSD: number | null; seconds: number; estimated: boolean; detail: string; provenance: string }[];
    /** The client's prompt-cache figures (Connect: the status line), when it reported them. */
    promptCache?: { requests: number; misses: number; hitRatio: number | null; missRecacheTokens: number };
    forecast: { contextTokens: number; windowTokens: number; growthPerTurn: number; turnsLeft: number | null; note: string } | null;
  };
  /** Explicit tasks of this workspace, newest last, with their figures. */
  tasks: ExportRow[];
  /** How reading the agents' files went: lines skipped and why, unreadable files, recent problems. */
  health: PanelHealth;
  charts: {
    cumulative: { t: number; usd: number }[];
    markers: { t: number; label: string }[];
    daily: { day: string; usd: number; lowerBound: boolean }[];
  };
  provenance: { tokens: string; time: string; api: string; subscription: string; sessionHour: string; window: string };
}

export interface PanelHealth {
  agents: { agent: string; detected: boolean; files: number; bytesRead: number; parsed: number; malformed: number; rejected: number; oversized: number; unreadableFiles: number }[];
  problems: { at: number; agent: string; path: string; message: string }[];
  problemCount: number;
  index: string;
}

export interface PanelOptions {
  scope: PanelScope;
  now: number;
  idleMs: number;
  calendar: Calendar;
  plan: PlanSettings;
  sessionHourRate: number;
  workspaceFolders: readonly string[];
  agents?: readonly AgentId[];
  prematureShare?: number;
  tasks?: readonly TaskRecord[];
  includePrompts?: boolean;
  health?: PanelHealth;
}

/** Claude Code compacts automatically near the full window; the exact threshold is remote config. */
const assumedAutoCompactShare = 0.95;

function forecastCompaction(meter: Meter, v: SessionView): PanelState['deadWeight']['forecast'] {
  const s = meter.sessions.get(v.key);
  if (!s) return null;
  const main = s.requests.filter((r) => !r.sidechain);
  const last = main[main.length - 1];
  if (!last) return null;
  const window = meter.getPriceBook().describe(last.model, last.provider, last.ts)?.contextWindow;
  if (!window) return null;
  // Context size at the end of each turn (the last main request before each prompt).
  const ends: number[] = [];
  const prompts = s.prompts.map((p) => p.ts);
  let pi = 0;
  let prevReq: (typeof main)[number] | undefined;
  for (const r of main) {
    while (pi < prompts.length && (prompts[pi] ?? Infinity) <= r.ts) {
      if (prevReq) ends.push(promptTokensOf(prevReq.tokens));
      pi++;
    }
    prevReq = r;
  }
  ends.push(promptTokensOf(last.tokens));
  const recent = ends.slice(-6);
  const deltas: number[] = [];
  for (let i = 1; i < recent.length; i++) deltas.push((recent[i] ?? 0) - (recent[i - 1] ?? 0));
  const growth = deltas.length > 0 ? deltas.reduce((a, b) => a + b, 0) / deltas.length : 0;
  const context = promptTokensOf(last.tokens);
  const room = assumedAutoCompactShare * window - context;
  const turnsLeft = growth > 0 ? Math.max(0, Math.ceil(room / growth)) : null;
  return {
    contextTokens: context,
    windowTokens: window,
    growthPerTurn: growth,
    turnsLeft,
    note: `assumed: auto-compaction near ${(assumedAutoCompactShare * 100).toFixed(0)}% of the ${groupThousands(window)}-token window (the client's threshold is remote configuration); growth is the average of the last turns`,
  };
}

function promptTokensOf(t: TokenCounts): number {
  return t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead;
}

const hourMs = 3_600_000;
const maxChartPoints = 300;

function currentSessionKey(meter: Meter, o: PanelOptions): string | undefined {
  let best: { key: string; ts: number } | undefined;
  let bestWs: { key: string; ts: number } | undefined;
  for (const s of meter.sessions.values()) {
    if (o.agents && !o.agents.includes(s.agent)) continue;
    if (s.requestCount === 0) continue;
    if (!best || s.lastTs > best.ts) best = { key: s.key, ts: s.lastTs };
    if (matchesProject(s.project, o.workspaceFolders) && (!bestWs || s.lastTs > bestWs.ts)) bestWs = { key: s.key, ts: s.lastTs };
  }
  return (bestWs ?? best)?.key;
}

function sessionLabel(v: SessionView): string {
  const proj = v.project ? (v.project.split(/[\\/]/).pop() ?? v.project) : '(unknown project)';
  const when = Number.isFinite(v.end) ? new Date(v.end).toISOString().slice(0, 16).replace('T', ' ') : '';
  return `${when} · ${agentLabels[v.agent]} · ${proj} · ${v.id.slice(0, 8)}`;
}

function downsample(points: { t: number; usd: number }[]): { t: number; usd: number }[] {
  if (points.length <= maxChartPoints) return points;
  const step = points.length / maxChartPoints;
  const out: { t: number; usd: number }[] = [];
  for (let i = 0; i < maxChartPoints; i++) {
    const p = points[Math.min(points.length - 1, Math.floor(i * step))];
    if (p) out.push(p);
  }
  const last = points[points.length - 1];
  if (last && out[out.length - 1] !== last) out.push(last);
  return out;
}

export function buildPanelState(meter: Meter, o: PanelOptions): PanelState {
  const pb = meter.getPriceBook();
  const cal = o.calendar;
  const monthStart = cal.startOfMonth(o.now);
  const todayStart = cal.startOfDay(o.now);
  const all = sessionViews(meter, { from: -Infinity, to: Infinity }, { idleMs: o.idleMs, agents: o.agents });
  const sessions = [...all].sort((a, b) => b.end - a.end).slice(0, 100).map((v) => ({ key: v.key, label: sessionLabel(v) }));

  // Resolve the scope to a range and a set of sessions.
  let range: Range;
  let views: SessionView[];
  let scopeLabel: string;
  let scope = o.scope;
  if (scope.kind === 'current' || scope.kind === 'session') {
    const key = scope.kind === 'session' ? scope.key : currentSessionKey(meter, o);
    const s = key ? meter.sessions.get(key) : undefined;
    views = s ? [viewSession(s, pb, o.idleMs)] : [];
    range = { from: -Infinity, to: Infinity };
    const v = views[0];
    scopeLabel = v ? `${scope.kind === 'current' ? 'Current session' : 'Session'}: ${sessionLabel(v)}` : 'No session yet';
    if (scope.kind === 'session' && !s) scope = { kind: 'current' };
  } else if (scope.kind === 'today') {
    range = { from: todayStart, to: Infinity };
    views = sessionViews(meter, range, { idleMs: o.idleMs, agents: o.agents });
    scopeLabel = `Today (${cal.dayKey(o.now)})`;
  } else {
    range = { from: monthStart, to: Infinity };
    views = sessionViews(meter, range, { idleMs: o.idleMs, agents: o.agents });
    scopeLabel = `This month (${cal.monthKey(o.now)})`;
  }
  const r = totalRollup(meter, views, range, o.idleMs);
  const items: CostedItem[] = [];
  for (const v of views) for (const it of v.items) if (it.ts >= range.from && it.ts < range.to) items.push(it);
  items.sort((a, b) => a.ts - b.ts);

  // API column: list prices per model and what caching saved (versus the same prompts uncached).
  let cachingSaved = 0;
  for (const it of items) {
    if (it.usd === null) continue;
    const uncached: TokenCounts = { ...zeroTokens(), input: it.tokens.input + it.tokens.cacheRead + it.tokens.cacheWrite5m + it.tokens.cacheWrite1h, output: it.tokens.output };
    const without = pb.price(it.model, undefined, uncached, it.ts);
    const withCache = pb.price(it.model, undefined, it.tokens, it.ts);
    if (without && withCache) cachingSaved += without.usd - withCache.usd;
  }
  const byModel: PanelModelLine[] = r.byModel.map((m) => {
    const info = pb.describe(m.model, undefined, o.now);
    return {
      model: m.model,
      tokens: m.tokens,
      requests: m.requests,
      usd: m.usd,
      provenance: m.provenance,
      perMTok: info ? info.perMTok : null,
      priceSource: info ? (info.source === 'override' ? 'your override (taximeter.prices)' : `${priceTableLabel()} as ${info.tableModelId}`) : m.provenance === 'client-reported' ? "the agent's own recorded cost" : 'no price known',
    };
  });

  // Month so far, for the plan figures (only the agents the plan covers).
  const plan = resolvePlan(o.plan);
  const planAgents = plan.agents;
  const monthRange = { from: monthStart, to: Infinity };
  const monthViews = sessionViews(meter, monthRange, { idleMs: o.idleMs, agents: planAgents.length > 0 ? planAgents : o.agents });
  const month = totalRollup(meter, monthViews, monthRange, o.idleMs);
  const dailyMap = new Map<string, { usd: number; lowerBound: boolean }>();
  const allMonthViews = sessionViews(meter, monthRange, { idleMs: o.idleMs, agents: o.agents });
  for (const v of allMonthViews) {
    for (const it of v.items) {
      if (it.ts < monthStart) continue;
      const d = cal.dayKey(it.ts);
      const e = dailyMap.get(d) ?? { usd: 0, lowerBound: false };
      if (it.usd === null) e.lowerBound = true;
      else e.usd += it.usd;
      dailyMap.set(d, e);
    }
  }
  const planDaily = new Map<string, number>();
  for (const v of monthViews) for (const it of v.items) if (it.ts >= monthStart && it.usd !== null) planDaily.set(cal.dayKey(it.ts), (planDaily.get(cal.dayKey(it.ts)) ?? 0) + it.usd);
  const applies = o.plan.id !== 'none' && (planAgents.length === 0 || r.agents.some((a) => planAgents.includes(a)));
  const workApiInPlan = views.filter((v) => planAgents.includes(v.agent)).reduce((s, v) => s + v.items.filter((it) => it.ts >= range.from && it.ts < range.to && it.usd !== null).reduce((x, it) => x + (it.usd ?? 0), 0), 0);

  // The usage window: as the client reports it (Connect), else reconstructed from prompt times.
  let window: PanelState['prices']['subscription']['window'] = null;
  const client = latestClientWindow(meter, o.now, planAgents.length > 0 ? planAgents : o.agents);
  const five = client?.fiveHour;
  if (client && five?.resetsAt !== undefined) {
    const start = five.resetsAt - 5 * hourMs;
    let prompts = 0;
    let apiUSD = 0;
    for (const s of meter.sessions.values()) {
      if (s.agent !== client.agent) continue;
      for (const p of s.prompts) if (p.ts >= start && p.ts < five.resetsAt) prompts++;
      for (const it of viewSession(s, pb, o.idleMs).items) if (it.ts >= start && it.ts < five.resetsAt && it.usd !== null) apiUSD += it.usd;
    }
    window = {
      start,
      end: five.resetsAt,
      prompts,
      apiUSD,
      burnUSDPerHour: apiUSD / Math.max(1 / 60, (o.now - start) / hourMs),
      limitMessages: null,
      projectedExhaustion: projectedWindowEnd(five, client.reportedAt, 5 * hourMs),
      source: `client-reported: ${agentLabels[client.agent]}'s status line (rate_limits) at ${new Date(client.reportedAt).toISOString()}`,
      clientReported: {
        usedPercent: five.usedPercent,
        reportedAt: client.reportedAt,
        sevenDay: client.sevenDay ? { usedPercent: client.sevenDay.usedPercent, resetsAt: client.sevenDay.resetsAt ?? null } : null,
      },
    };
  } else if (applies) {
    const promptTimes: number[] = [];
    for (const s of meter.sessions.values()) if (planAgents.includes(s.agent)) for (const p of s.prompts) promptTimes.push(p.ts);
    const windows = reconstructWindows(promptTimes, plan.windowHours);
    const w = windows[windows.length - 1];
    if (w && o.now < w.end) {
      let apiUSD = 0;
      for (const s of meter.sessions.values()) {
        if (!planAgents.includes(s.agent)) continue;
        for (const it of viewSession(s, pb, o.idleMs).items) if (it.ts >= w.start && it.ts < w.end && it.usd !== null) apiUSD += it.usd;
      }
      const elapsedH = Math.max(1 / 60, (o.now - w.start) / hourMs);
      window = {
        start: w.start,
        end: w.end,
        prompts: w.prompts,
        apiUSD,
        burnUSDPerHour: apiUSD / elapsedH,
        limitMessages: plan.windowMessages ?? null,
        projectedExhaustion: projectedExhaustion(w, o.now, plan.windowMessages),
        source: plan.source,
      };
    }
  }

  // Session-hour (runtime) pricing: busy hours × rate + the same tokens at API rates.
  const runtimeUSD = runtimeCost(r.time.busyMs, o.sessionHourRate);
  const sessionHourTotal = runtimeUSD + r.cost.api;

  const subscriptionWork = applies ? allocatedFee(plan.feeUSD, workApiInPlan, month.cost.api) : null;
  const best = cheapest({ api: r.cost.api, subscription: subscriptionWork, sessionHour: sessionHourTotal });

  const elapsedDays = Math.max(1, Math.ceil((o.now - monthStart) / 86_400_000));
  const daysInMonth = cal.daysInMonth(o.now);
  const allMonth = totalRollup(meter, allMonthViews, monthRange, o.idleMs);
  const projApi = projectMonth(allMonth.cost.api, elapsedDays, daysInMonth);
  const projSessionHour = projectMonth(allMonth.cost.api + runtimeCost(allMonth.time.busyMs, o.sessionHourRate), elapsedDays, daysInMonth);
  const projSub = applies ? plan.feeUSD : null;
  const projBest = cheapest({ api: projApi, subscription: projSub, sessionHour: projSessionHour });

  const fmt = (n: number): string => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
  const names: Record<PriceScheme, string> = { api: 'API (per token)', subscription: plan.label, sessionHour: 'session-hour pricing' };
  let reasoning: string;
  if (items.length === 0) reasoning = 'No usage in this scope yet.';
  else {
    const parts = [`This work: API ${fmt(r.cost.api)}${r.cost.lowerBound ? ' (lower bound: unpriced tokens)' : ''}`];
    if (subscriptionWork !== null) parts.push(`${plan.label} ${fmt(subscriptionWork)} as its share of the ${fmt(plan.feeUSD)} fee ($0 at the margin inside the plan's limits)`);
    else parts.push(o.plan.id === 'none' ? 'no plan set (taximeter.plan)' : `${plan.label} does not cover ${r.agents.join(', ')}`);
    parts.push(`session-hour ${fmt(sessionHourTotal)} (${fmt(runtimeUSD)} runtime for ${(r.time.busyMs / hourMs).toFixed(2)} busy h + tokens)`);
    reasoning = `${parts.join('; ')}. Cheapest: ${best ? names[best] : '—'}. At this month's pace: API ${fmt(projApi)}, ${projSub !== null ? `${plan.label} ${fmt(projSub)}, ` : ''}session-hour ${fmt(projSessionHour)} → ${projBest ? names[projBest] : '—'}.`;
  }

  // Dead weight of the sessions in scope (events inside the range).
  const dwParts = views.map((v) => {
    const d = deadWeightOf(meter, v, { prematureShare: o.prematureShare ?? 0.5 });
    const events = d.events.filter((e) => e.at >= range.from && e.at < range.to);
    return { ...d, events, costUSD: events.reduce((n, e) => n + (e.costUSD ?? 0), 0), seconds: events.reduce((n, e) => n + e.seconds, 0), compactions: events.filter((e) => e.kind === 'compaction' || e.kind === 'premature-compaction').length, estimated: events.some((e) => e.estimated) };
  });
  const dw = sumDeadWeight(dwParts, r.cost.api);
  const single = (o.scope.kind === 'current' || o.scope.kind === 'session') && views[0] ? views[0] : undefined;

  // Charts.
  let cum = 0;
  const cumulative = downsample(
    items.map((it) => {
      cum += it.usd ?? 0;
      return { t: it.ts, usd: cum };
    }),
  );
  const markers: { t: number; label: string }[] = [];
  for (const v of views) for (const c of v.compactions) if (c.timestamp >= range.from && c.timestamp < range.to) markers.push({ t: c.timestamp, label: `${c.trigger} compaction` });
  markers.sort((a, b) => a.t - b.t);
  const daily = [...dailyMap.entries()].map(([day, e]) => ({ day, usd: e.usd, lowerBound: e.lowerBound })).sort((a, b) => a.day.localeCompare(b.day));

  const busyMin = r.time.busyMs / 60_000;
  return {
    generatedAt: o.now,
    scope,
    scopeLabel,
    sessions,
    empty: items.length === 0 && views.length === 0,
    meter: {
      tokens: r.tokens,
      requests: r.requests,
      wallMs: r.time.wallMs,
      activeMs: r.time.activeMs,
      busyMs: r.time.busyMs,
      idleMs: r.time.idleMs,
      apiUSD: r.cost.api,
      lowerBound: r.cost.lowerBound,
      clientReportedUSD: r.cost.clientReported,
      auxiliaryUSD: r.cost.auxiliary,
      burnUSDPerHour: r.time.busyMs > 0 ? r.cost.api / (r.time.busyMs / hourMs) : null,
      tokensPerMinute: busyMin > 0 ? (r.tokens.input + r.tokens.output + r.tokens.cacheWrite5m + r.tokens.cacheWrite1h + r.tokens.cacheRead) / busyMin : null,
      byModel,
      unpriced: r.unpriced,
      agents: r.agents.map((a) => agentLabels[a]),
    },
    prices: {
      api: { usd: r.cost.api, lowerBound: r.cost.lowerBound, cachingSavedUSD: cachingSaved, priceTable: priceTableLabel() },
      subscription: {
        planId: plan.id,
        planLabel: plan.label,
        feeUSD: plan.feeUSD,
        applies,
        marginalUSD: 0,
        allocatedUSD: subscriptionWork ?? 0,
        monthApiUSD: month.cost.api,
        valueMultiple: applies ? valueMultiple(month.cost.api, plan.feeUSD) : null,
        breakEvenDay: applies ? breakEvenDay([...planDaily.entries()].map(([day, usd]) => ({ day, usd })), plan.feeUSD) : null,
        window,
      },
      sessionHour: {
        ratePerHour: o.sessionHourRate,
        busyHours: r.time.busyMs / hourMs,
        idleHours: r.time.idleMs / hourMs,
        runtimeUSD,
        tokenUSD: r.cost.api,
        totalUSD: sessionHourTotal,
        runtimeShare: sessionHourTotal > 0 ? runtimeUSD / sessionHourTotal : 0,
      },
      cheapest: best,
      reasoning,
      projection: { elapsedDays, daysInMonth, api: projApi, subscription: projSub, sessionHour: projSessionHour, cheapest: projBest },
    },
    deadWeight: {
      costUSD: dw.costUSD,
      share: dw.share,
      seconds: dw.seconds,
      compactions: dw.compactions,
      estimated: dw.estimated,
      events: dw.events.slice(-200).map((e) => ({ kind: e.kind, trigger: e.trigger ?? null, at: e.at, tokens: e.tokens, costUSD: e.costUSD, seconds: e.seconds, estimated: e.estimated, detail: e.detail, provenance: e.provenance })),
      promptCache: dw.promptCache,
      forecast: single ? forecastCompaction(meter, single) : null,
    },
    tasks: (o.tasks ?? []).map((t) =>
      toRow(
        taskFigures(meter, t, {
          now: o.now,
          idleMs: o.idleMs,
          calendar: cal,
          plan: o.plan,
          sessionHourRate: o.sessionHourRate,
          prematureShare: o.prematureShare ?? 0.5,
          includePrompts: o.includePrompts ?? true,
          agents: o.agents,
        }),
      ),
    ),
    health: o.health ?? { agents: [], problems: [], problemCount: 0, index: '' },
    charts: { cumulative, markers, daily },
    provenance: {
      tokens: "measured: the agents' transcripts, each response counted once",
      time: 'measured: transcript timestamps (busy = prompt to the last agent event before the next prompt)',
      api: `computed: tokens × list prices (${priceTableLabel()}, or your overrides); client-reported where the table has no price`,
      subscription: `computed: the plan fee shared by API-equivalent spend; marginal $0 assumes the work stayed inside the plan's limits`,
      sessionHour: `computed: busy hours × $${o.sessionHourRate}/h (taximeter.sessionHourRate) + the same tokens at API rates; idle time is not billed`,
      window: window?.clientReported
        ? `${window.source}; the used share and reset time are the client's, the projection assumes the pace so far`
        : `estimated: the ${plan.windowHours}-hour window is reconstructed from prompt times; the message allowance is the vendor's public guidance (${plan.source || 'none'})`,
    },
  };
}
