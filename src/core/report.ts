/**
 * The `taximeter report --json` document. Key names are a contract (README "Report JSON").
 */
import { clipSession, groupRollups, sessionViews, totalRollup, type GroupBy, type Range, type Rollup } from './aggregate';
import type { Calendar } from './calendar';
import type { Meter } from './meter';
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
    /** Part of `api` resting on estimates (e.g. compaction calls no record shows). */
    estimated: number;
    auxiliary: number;
    /** True when unpriced tokens exist: `api` is a lower bound. */
    lowerBound: boolean;
  };
  time: { wallSeconds: number; activeSeconds: number; busySeconds: number; idleSeconds: number };
  unpriced: { tokens: number; models: string[] };
  byModel: { model: string; tokens: ReportTokens; requests: number; costUSD: number | null; provenance: string }[];
}

export interface ReportSession extends ReportFigures {
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
  provenance: { api: string; clientReported: string; estimated: string; auxiliary: string; time: string };
  sessions: ReportSession[];
  totals: ReportFigures & { sessions: number };
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

const round = (n: number, digits = 10): number => Number(n.toFixed(digits));

export function figures(r: Rollup): ReportFigures {
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
}

const iso = (ts: number): string | null => (Number.isFinite(ts) ? new Date(ts).toISOString() : null);

export function buildReport(meter: Meter, options: ReportOptions): Report {
  const { range, idleMs } = options;
  const views = sessionViews(meter, range, { idleMs, agents: options.agents });
  const sessions: ReportSession[] = [];
  for (const v of views) {
    const r = clipSession(meter, v, range, idleMs);
    sessions.push({
      agent: v.agent,
      id: v.id,
      project: v.project ?? null,
      gitBranch: v.gitBranch ?? null,
      start: iso(r.first),
      end: iso(r.last),
      ...figures(r),
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
      estimated: 'compaction calls no record shows (Gemini CLI without its telemetry file): tokens estimated from the context they read, priced from the table',
      auxiliary: "calls only the agent's own totals show (compaction summaries, …): its totals minus the transcript, priced like the rest",
      time: 'measured from transcript timestamps; busy = from each prompt to the last agent event before the next prompt',
    },
    sessions,
    totals: { ...figures(total), sessions: total.sessions },
  };
  if (options.by && options.by !== 'session') {
    report.by = options.by;
    report.groups = groupRollups(meter, views, range, options.by, options.calendar, idleMs).map((g) => ({
      key: g.key,
      sessions: g.rollup.sessions,
      ...figures(g.rollup),
    }));
  }
  return report;
}
