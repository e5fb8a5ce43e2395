/**
 * The `taximeter report --json` document. Key names are a contract (README "Report JSON").
 */
import { clipSession, groupRollups, isUnbounded, sessionViews, totalRollup, type GroupBy, type Range, type Rollup } from './aggregate';
import type { Calendar } from './calendar';
import type { Meter } from './meter';
import { allocatedFee, runtimeCost } from './compare';
import { deadWeightOf, sumDeadWeight, type DeadWeight } from './dead-weight';
import { defaultSessionHourRate, resolvePlan, type PlanSettings } from './plans';
import { roundTo } from './format';
import { priceTableLabel } from './pricing';
import type { AgentId, TokenCounts } from './usage';

export const reportSchemaVersion = 1;

export interface ReportTokens {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  total: number;
}

export interface ReportFigures {
  models: string[];
  tokens: ReportTokens;
  /** Tokens of calls only the client's own totals show (compaction summaries, …). */
  auxiliaryTokens: ReportTokens;
  requests: number;
  costUSD: {
    api: number;
    computed: number;
    clientReported: number;
    /** Part of `api` resting on estimates: calls no record holds (a 1.0.x compaction summary, Gemini CLI compression without telemetry). */
    estimated: number;
    auxiliary: number;
    /** True when unpriced tokens exist: `api` is a lower bound. */
    lowerBound: boolean;
    /** Session-hour (runtime) pricing: busy hours × rate + the same tokens at API rates. */
    sessionHour: number;
    /** The configured plan: marginal cost of this work ($0 inside its limits) and its share of the fee. */
    subscription: { plan: string; marginal: number | null; allocated: number | null };
  };
  time: { wallSeconds: number; activeSeconds: number; busySeconds: number; idleSeconds: number };
  unpriced: { tokens: number; models: string[] };
  byModel: { model: string; tokens: ReportTokens; requests: number; costUSD: number | null; provenance: string }[];
}

export interface ReportDeadWeight {
  costUSD: number;
  seconds: number;
  /** Share of the API-equivalent cost. */
  share: number;
  compactions: number;
  estimated: boolean;
  events: { kind: string; trigger: string | null; at: string; tokens: number; costUSD: number | null; seconds: number; estimated: boolean; detail: string; provenance: string }[];
}

export function reportDeadWeight(d: DeadWeight): ReportDeadWeight {
  return {
    costUSD: round(d.costUSD),
    seconds: round(d.seconds, 3),
    share: round(d.share, 6),
    compactions: d.compactions,
    estimated: d.estimated,
    events: d.events.map((e) => ({
      kind: e.kind,
      trigger: e.trigger ?? null,
      at: new Date(e.at).toISOString(),
      tokens: e.tokens,
      costUSD: e.costUSD === null ? null : round(e.costUSD),
      seconds: round(e.seconds, 3),
      estimated: e.estimated,
      detail: e.detail,
      provenance: e.provenance,
    })),
  };
}

export interface ReportSession extends ReportFigures {
  deadWeight: ReportDeadWeight;
  agent: AgentId;
  id: string;
  project: string | null;
  gitBranch: string | null;
  start: string | null;
  end: string | null;
}

export interface ReportGroup extends ReportFigures {
  key: string;
  sessions: number;
}

export interface Report {
  schemaVersion: number;
  generatedAt: string;
  range: { since: string | null; until: string | null; timeZone: string };
  priceTable: string;
  /** What each cost figure is: see README. */
  provenance: { api: string; clientReported: string; auxiliary: string; estimated: string; deadWeight: string; time: string };
  sessions: ReportSession[];
  totals: ReportFigures & { sessions: number; deadWeight: ReportDeadWeight };
  by?: GroupBy;
  groups?: ReportGroup[];
}

export function reportTokens(t: TokenCounts): ReportTokens {
  return {
    input: t.input,
    output: t.output,
    cacheWrite: t.cacheWrite5m + t.cacheWrite1h,
    cacheRead: t.cacheRead,
    cacheWrite5m: t.cacheWrite5m,
    cacheWrite1h: t.cacheWrite1h,
    total: t.input + t.output + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead,
  };
}

/** `n` to `digits` decimals (whole numbers, most figures, as they are). */
const round = (n: number, digits = 10): number => (Number.isInteger(n) ? n : roundTo(n, digits));

export interface PriceContext {
  sessionHourRate: number;
  plan: PlanSettings;
  /** API-equivalent spend of the plan's agents in the month a figure belongs to. */
  monthApi(ts: number): number;
}

export function figures(r: Rollup, pc?: PriceContext): ReportFigures {
  const plan = pc ? resolvePlan(pc.plan) : undefined;
  const applies = plan !== undefined && plan.id !== 'none' && r.agents.some((a) => (plan.agents as readonly string[]).includes(a));
  return {
    models: r.byModel.map((m) => m.model).sort(),
    tokens: reportTokens(r.tokens),
    auxiliaryTokens: reportTokens(r.auxiliaryTokens),
    requests: r.requests,
    costUSD: {
      api: round(r.cost.api),
      computed: round(r.cost.computed),
      clientReported: round(r.cost.clientReported),
      estimated: round(r.cost.estimated),
      auxiliary: round(r.cost.auxiliary),
      lowerBound: r.cost.lowerBound,
      sessionHour: round(r.cost.api + runtimeCost(r.time.busyMs, pc?.sessionHourRate ?? defaultSessionHourRate)),
      subscription: {
        plan: plan?.id ?? 'none',
        marginal: applies ? 0 : null,
        allocated: applies && pc && plan ? round(allocatedFee(plan.feeUSD, r.cost.api, pc.monthApi(Number.isFinite(r.last) ? r.last : 0))) : null,
      },
    },
    time: {
      wallSeconds: round(r.time.wallMs / 1000, 3),
      activeSeconds: round(r.time.activeMs / 1000, 3),
      busySeconds: round(r.time.busyMs / 1000, 3),
      idleSeconds: round(r.time.idleMs / 1000, 3),
    },
    unpriced: { tokens: r.unpriced.tokens, models: r.unpriced.models },
    byModel: r.byModel.map((m) => ({
      model: m.model,
      tokens: reportTokens(m.tokens),
      requests: m.requests,
      costUSD: m.usd === null ? null : round(m.usd),
      provenance: m.provenance,
    })),
  };
}

export interface ReportOptions {
  range: Range;
  by?: GroupBy;
  idleMs: number;
  calendar: Calendar;
  agents?: readonly AgentId[];
  now?: number;
  /** A compaction below this share of the context window is premature (default 0.5). */
  prematureShare?: number;
  plan?: PlanSettings;
  sessionHourRate?: number;
}

const iso = (ts: number): string | null => (Number.isFinite(ts) ? new Date(ts).toISOString() : null);

export function buildReport(meter: Meter, options: ReportOptions): Report {
  const { range, idleMs } = options;
  const views = sessionViews(meter, range, { idleMs, agents: options.agents });
  const plan = resolvePlan(options.plan ?? { id: 'none' });
  const monthCache = new Map<string, number>();
  const pc: PriceContext = {
    sessionHourRate: options.sessionHourRate ?? defaultSessionHourRate,
    plan: options.plan ?? { id: 'none' },
    monthApi(ts) {
      const from = options.calendar.startOfMonth(ts);
      const key = String(from);
      const hit = monthCache.get(key);
      if (hit !== undefined) return hit;
      const to = options.calendar.startOfMonth(from + 40 * 86_400_000);
      let sum = 0;
      for (const v of sessionViews(meter, { from, to }, { idleMs, agents: plan.agents })) for (const it of v.items) if (it.ts >= from && it.ts < to && it.usd !== null) sum += it.usd;
      monthCache.set(key, sum);
      return sum;
    },
  };
  const sessions: ReportSession[] = [];
  const deadParts: DeadWeight[] = [];
  const unbounded = isUnbounded(range);
  for (const v of views) {
    const r = clipSession(meter, v, range, idleMs);
    const dwAll = deadWeightOf(meter, v, { prematureShare: options.prematureShare ?? 0.5 });
    // Over an unbounded range the session's dead weight is all of it: the same sums in the same order.
    const dw = unbounded ? dwAll : deadWeightInRange(dwAll, range, r.cost.api);
    deadParts.push(dw);
    sessions.push({
      agent: v.agent,
      id: v.id,
      project: v.project ?? null,
      gitBranch: v.gitBranch ?? null,
      start: iso(r.first),
      end: iso(r.last),
      ...figures(r, pc),
      deadWeight: reportDeadWeight(dw),
    });
  }
  const total = totalRollup(meter, views, range, idleMs);
  const report: Report = {
    schemaVersion: reportSchemaVersion,
    generatedAt: new Date(options.now ?? Date.now()).toISOString(),
    range: {
      since: Number.isFinite(range.from) ? new Date(range.from).toISOString() : null,
      until: Number.isFinite(range.to) ? new Date(range.to).toISOString() : null,
      timeZone: options.calendar.timeZone,
    },
    priceTable: priceTableLabel(),
    provenance: {
      api: 'computed: tokens from the transcripts × list prices of the price table (or your overrides); client-reported where the table has no price and the agent recorded its own cost',
      clientReported: "the agent's own recorded cost where the table has no price: Claude Code cost-state (shared among that model's requests), Cline, Roo Code and OpenCode per request",
      auxiliary: "calls only the agent's own totals show (compaction summaries, …): its totals minus the transcript, priced like the rest",
      estimated: 'calls no record holds (a Claude Code 1.0.x compaction summary, a Gemini CLI compression without its telemetry file): estimated from the context size and the summary length',
      deadWeight: 'compactions (summary call, time lost, context dropped), /clear resets, cache rebuilds after idle gaps or resets (tokens × (write − read price)); see each event',
      time: 'measured from transcript timestamps; busy = from each prompt to the last agent event before the next prompt',
    },
    sessions,
    totals: { ...withTotalSubscription(figures(total, pc), sessions), sessions: total.sessions, deadWeight: reportDeadWeight(sumDeadWeight(deadParts, total.cost.api)) },
  };
  if (options.by && options.by !== 'session') {
    report.by = options.by;
    report.groups = groupRollups(meter, views, range, options.by, options.calendar, idleMs).map((g) => ({
      key: g.key,
      sessions: g.rollup.sessions,
      ...figures(g.rollup, pc),
    }));
  }
  return report;
}

/** A session's dead weight inside a range: its events there, summed again. */
function deadWeightInRange(d: DeadWeight, range: Range, apiUSD: number): DeadWeight {
  const inRange = d.events.filter((e) => e.at >= range.from && e.at < range.to);
  return sumDeadWeight([{ ...d, events: inRange, costUSD: inRange.reduce((n, e) => n + (e.costUSD ?? 0), 0), seconds: inRange.reduce((n, e) => n + e.seconds, 0), compactions: inRange.filter((e) => e.kind === 'compaction' || e.kind === 'premature-compaction').length }], apiUSD);
}

/** Totals' plan share is the sum of the sessions' shares (each against its own month). */
function withTotalSubscription(f: ReportFigures, sessions: readonly ReportSession[]): ReportFigures {
  const shares = sessions.map((s) => s.costUSD.subscription.allocated).filter((x): x is number => x !== null);
  return {
    ...f,
    costUSD: {
      ...f.costUSD,
      subscription: { ...f.costUSD.subscription, allocated: shares.length > 0 ? round(shares.reduce((a, b) => a + b, 0)) : f.costUSD.subscription.allocated },
    },
  };
}
