/**
 * Rollups over session views: any time range, grouped by session, day, model, project or agent.
 * Items are clipped to the range, so "today" holds only what happened today even for a session
 * that started yesterday.
 */
import type { Calendar } from './calendar';
import type { Meter } from './meter';
import { timeFigures, viewSession, type CostFigures, type CostProvenance, type CostedItem, type SessionView, type TimeFigures } from './session-view';
import { addTokens, totalTokens, zeroTokens, type AgentId, type TokenCounts } from './usage';

export interface Range {
  from: number;
  to: number;
}

export const everything: Range = { from: -Infinity, to: Infinity };

/** Whether a range is unbounded: a session's own figures are then its figures in the range. */
export function isUnbounded(range: Range): boolean {
  return range.from === -Infinity && range.to === Infinity;
}

export interface ModelRollup {
  model: string;
  tokens: TokenCounts;
  auxiliaryTokens: TokenCounts;
  requests: number;
  usd: number | null;
  provenance: CostProvenance | 'unpriced' | 'mixed';
}

export interface Rollup {
  tokens: TokenCounts;
  auxiliaryTokens: TokenCounts;
  requests: number;
  cost: CostFigures;
  time: TimeFigures;
  unpriced: { tokens: number; models: string[] };
  byModel: ModelRollup[];
  sessions: number;
  agents: AgentId[];
  first: number;
  last: number;
}

export function emptyRollup(): Rollup {
  return {
    tokens: zeroTokens(),
    auxiliaryTokens: zeroTokens(),
    requests: 0,
    cost: { api: 0, computed: 0, clientReported: 0, estimated: 0, auxiliary: 0, lowerBound: false },
    time: { wallMs: 0, activeMs: 0, busyMs: 0, idleMs: 0 },
    unpriced: { tokens: 0, models: [] },
    byModel: [],
    sessions: 0,
    agents: [],
    first: NaN,
    last: NaN,
  };
}

/** Accumulates items and per-session times into one rollup. */
export class RollupBuilder {
  private readonly r = emptyRollup();
  private readonly models = new Map<string, ModelRollup>();
  private readonly unpricedModels = new Set<string>();
  private readonly agents = new Set<AgentId>();
  private readonly sessions = new Set<string>();
  /** The session added last: its items come one after another. */
  private lastSession: string | undefined;

  addItem(it: CostedItem, sessionKey: string, agent: AgentId): void {
    const r = this.r;
    if (sessionKey !== this.lastSession) this.addSession(sessionKey, agent);
    if (Number.isNaN(r.first) || it.ts < r.first) r.first = it.ts;
    if (Number.isNaN(r.last) || it.ts > r.last) r.last = it.ts;
    let m = this.models.get(it.model);
    if (!m) {
      m = { model: it.model, tokens: zeroTokens(), auxiliaryTokens: zeroTokens(), requests: 0, usd: null, provenance: 'unpriced' };
      this.models.set(it.model, m);
    }
    if (it.kind === 'request') {
      addTokens(r.tokens, it.tokens);
      addTokens(m.tokens, it.tokens);
      r.requests++;
      m.requests++;
    } else {
      addTokens(r.auxiliaryTokens, it.tokens);
      addTokens(m.auxiliaryTokens, it.tokens);
    }
    if (it.usd === null) {
      r.cost.lowerBound = true;
      this.unpricedModels.add(it.model);
      r.unpriced.tokens += totalTokens(it.tokens);
      return;
    }
    m.usd = (m.usd ?? 0) + it.usd;
    if (m.provenance === 'unpriced') m.provenance = it.provenance;
    else if (m.provenance !== it.provenance) m.provenance = 'mixed';
    r.cost.api += it.usd;
    if (it.provenance === 'client-reported') r.cost.clientReported += it.usd;
    else if (it.provenance === 'estimated') r.cost.estimated += it.usd;
    else r.cost.computed += it.usd;
    if (it.kind === 'auxiliary') r.cost.auxiliary += it.usd;
  }

  addTime(t: TimeFigures): void {
    const time = this.r.time;
    time.wallMs += t.wallMs;
    time.activeMs += t.activeMs;
    time.busyMs += t.busyMs;
    time.idleMs += t.idleMs;
  }

  addSession(sessionKey: string, agent: AgentId): void {
    this.sessions.add(sessionKey);
    this.agents.add(agent);
    this.lastSession = sessionKey;
  }

  build(): Rollup {
    const r = this.r;
    r.byModel = [...this.models.values()].sort((a, b) => (b.usd ?? 0) - (a.usd ?? 0) || a.model.localeCompare(b.model));
    r.unpriced.models = [...this.unpricedModels].sort();
    r.sessions = this.sessions.size;
    r.agents = [...this.agents].sort();
    return r;
  }
}

export interface ViewOptions {
  idleMs: number;
  agents?: readonly AgentId[];
  projectPrefixes?: readonly string[];
}

/** Every session view that has anything inside the range. */
export function sessionViews(meter: Meter, range: Range, options: ViewOptions): SessionView[] {
  const out: SessionView[] = [];
  const pb = meter.getPriceBook();
  for (const s of meter.sessions.values()) {
    if (options.agents && !options.agents.includes(s.agent)) continue;
    if (s.timelineLength === 0 && s.requestCount === 0) continue;
    if (options.projectPrefixes && !matchesProject(s.project, options.projectPrefixes)) continue;
    if (s.lastTs < range.from || s.firstTs >= range.to) continue;
    out.push(viewSession(s, pb, options.idleMs));
  }
  return out.sort((a, b) => (a.start || 0) - (b.start || 0) || a.key.localeCompare(b.key));
}

export function matchesProject(project: string | undefined, prefixes: readonly string[]): boolean {
  if (!project) return false;
  const p = project.replace(/\\/g, '/').replace(/\/+$/, '');
  return prefixes.some((raw) => {
    const prefix = raw.replace(/\\/g, '/').replace(/\/+$/, '');
    return p === prefix || p.startsWith(prefix + '/');
  });
}

/** A session's figures clipped to a range (the whole session when the range covers it). */
export function clipSession(meter: Meter, v: SessionView, range: Range, idleMs: number): Rollup {
  if (isUnbounded(range)) return wholeSession(meter, v);
  const b = new RollupBuilder();
  for (const it of v.items) if (it.ts >= range.from && it.ts < range.to) b.addItem(it, v.key, v.agent);
  const s = meter.sessions.get(v.key);
  if (s) b.addTime(isUnbounded(range) ? v.time : timeFigures(s.timeline(), idleMs, range.from, range.to));
  b.addSession(v.key, v.agent);
  const r = b.build();
  if (Number.isNaN(r.first)) {
    r.first = Math.max(v.start, range.from);
    r.last = Math.min(v.end, range.to);
  }
  return r;
}

/**
 * `clipSession` over an unbounded range, from the view's own totals: the view sums the same items
 * in the same order (so every figure is the same to the last bit), and keeps the rollup's
 * provenance per model for this. Its items are in time order: the first and last are the span.
 */
function wholeSession(meter: Meter, v: SessionView): Rollup {
  const items = v.items;
  return {
    tokens: { ...v.tokens },
    auxiliaryTokens: { ...v.auxiliaryTokens },
    requests: v.requests,
    cost: { ...v.cost },
    time: meter.sessions.has(v.key) ? { ...v.time } : { wallMs: 0, activeMs: 0, busyMs: 0, idleMs: 0 },
    unpriced: { tokens: v.unpriced.tokens, models: [...v.unpriced.models] },
    byModel: v.byModel.map((m) => ({ model: m.model, tokens: { ...m.tokens }, auxiliaryTokens: { ...m.auxiliaryTokens }, requests: m.requests, usd: m.usd, provenance: m.rollupProvenance })),
    sessions: 1,
    agents: [v.agent],
    first: items[0]?.ts ?? v.start,
    last: items[items.length - 1]?.ts ?? v.end,
  };
}

export type GroupBy = 'session' | 'day' | 'model' | 'project' | 'agent';

export interface Group {
  key: string;
  rollup: Rollup;
}

/** Group everything in a range. Time figures of a day group are clipped to that day. */
export function groupRollups(meter: Meter, views: readonly SessionView[], range: Range, by: GroupBy, calendar: Calendar, idleMs: number): Group[] {
  const builders = new Map<string, RollupBuilder>();
  const get = (k: string): RollupBuilder => {
    let b = builders.get(k);
    if (!b) builders.set(k, (b = new RollupBuilder()));
    return b;
  };
  for (const v of views) {
    const s = meter.sessions.get(v.key);
    switch (by) {
      case 'session':
      case 'project':
      case 'agent': {
        const k = by === 'session' ? v.key : by === 'project' ? (v.project ?? '(unknown)') : v.agent;
        const b = get(k);
        for (const it of v.items) if (it.ts >= range.from && it.ts < range.to) b.addItem(it, v.key, v.agent);
        if (s) b.addTime(timeFigures(s.timeline(), idleMs, range.from, range.to));
        b.addSession(v.key, v.agent);
        break;
      }
      case 'model':
        for (const it of v.items) if (it.ts >= range.from && it.ts < range.to) get(it.model).addItem(it, v.key, v.agent);
        break;
      case 'day': {
        // Day key -> one instant on that day, to find the day's local bounds.
        const days = new Map<string, number>();
        for (const it of v.items) {
          if (it.ts < range.from || it.ts >= range.to) continue;
          const d = calendar.dayKey(it.ts);
          if (!days.has(d)) days.set(d, it.ts);
          get(d).addItem(it, v.key, v.agent);
        }
        if (s) {
          for (const v of s.timeline()) {
            const t = Math.floor(v / 2);
            if (t < range.from || t >= range.to) continue;
            const d = calendar.dayKey(t);
            if (!days.has(d)) days.set(d, t);
          }
          for (const [d, instant] of days) {
            const dayStart = calendar.startOfDay(instant);
            const dayEnd = calendar.startOfDay(dayStart + 36 * 3_600_000);
            const b = get(d);
            b.addTime(timeFigures(s.timeline(), idleMs, Math.max(range.from, dayStart), Math.min(range.to, dayEnd)));
            b.addSession(v.key, v.agent);
          }
        }
        break;
      }
    }
  }
  return [...builders.entries()].map(([key, b]) => ({ key, rollup: b.build() })).sort((a, b) => a.key.localeCompare(b.key));
}

/** Everything in the range as one rollup. */
export function totalRollup(meter: Meter, views: readonly SessionView[], range: Range, idleMs: number): Rollup {
  const b = new RollupBuilder();
  for (const v of views) {
    for (const it of v.items) if (it.ts >= range.from && it.ts < range.to) b.addItem(it, v.key, v.agent);
    const s = meter.sessions.get(v.key);
    if (s) b.addTime(isUnbounded(range) ? v.time : timeFigures(s.timeline(), idleMs, range.from, range.to));
    b.addSession(v.key, v.agent);
  }
  return b.build();
}
